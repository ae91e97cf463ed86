from django.urls import path

from tickets import views

app_name = "tickets"
urlpatterns = [
    path("workspace/", views.workspace, name="workspace"),
    path("workspace/phone/", views.phone_call, name="phone_call"),
    path("workspace/availability/", views.agent_availability, name="agent_availability"),
    path("workspace/tickets/<int:number>/", views.ticket_detail, name="ticket_detail"),
    path("workspace/tickets/<int:number>/compose/", views.ticket_compose, name="ticket_compose"),
    path("workspace/tickets/<int:number>/status/", views.ticket_status, name="ticket_status"),
    path("workspace/tickets/<int:number>/assign/", views.ticket_assign, name="ticket_assign"),
    path("workspace/tickets/<int:number>/fields/", views.ticket_fields, name="ticket_fields"),
    path(
        "workspace/tickets/<int:number>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path("portal/", views.portal, name="portal"),
    path("portal/new/", views.portal_new, name="portal_new"),
    path("portal/start/", views.portal_start, name="portal_start"),
    path("portal/confirm/<str:token>/", views.portal_confirm, name="portal_confirm"),
    path("portal/tickets/<int:number>/", views.portal_ticket, name="portal_ticket"),
    path(
        "portal/tickets/<int:number>/attachments/<int:attachment_id>/",
        views.portal_attachment,
        name="portal_attachment",
    ),
]
