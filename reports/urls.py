from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("sla-replay/", views.sla_replay, name="sla_replay"),
    path("sla-replay/<int:replay_id>/", views.sla_replay_detail, name="sla_replay_detail"),
]
