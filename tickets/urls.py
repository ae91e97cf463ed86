from django.urls import path

from tickets import views

app_name = "tickets"
urlpatterns = [
    path("workspace/", views.workspace, name="workspace"),
    path("workspace/tickets/<int:number>/", views.ticket_detail, name="ticket_detail"),
    path("portal/", views.portal, name="portal"),
    path("portal/tickets/<int:number>/", views.portal_ticket, name="portal_ticket"),
]
