"""Received mail in the agents' workspace, under /workspace/mail/ (namespace "mail")."""

from django.urls import path

from integrations.email import views

app_name = "mail"
urlpatterns = [
    path("", views.inbound_list, name="inbound_list"),
    path("attention/", views.inbound_attention, name="inbound_attention"),
    path("<int:pk>/reprocess/", views.inbound_reprocess, name="inbound_reprocess"),
    path("<int:pk>/original/", views.inbound_original, name="inbound_original"),
]
