from django.urls import path

from tickets import macro_views, views

app_name = "tickets"
urlpatterns = [
    path("workspace/", views.workspace, name="workspace"),
    path("workspace/phone/", views.phone_call, name="phone_call"),
    path("workspace/queues/<slug:key>/", views.queue, name="queue"),
    path("workspace/teams/<int:team_id>/", views.team_queue, name="team_queue"),
    path("workspace/views/new/", views.saved_view_create, name="saved_view_create"),
    path("workspace/views/<int:view_id>/", views.saved_view, name="saved_view"),
    path(
        "workspace/views/<int:view_id>/delete/",
        views.saved_view_delete,
        name="saved_view_delete",
    ),
    path("workspace/counts/", views.queue_counts, name="queue_counts"),
    path("workspace/teammates/", views.teammates, name="teammates"),
    path("workspace/bulk/", views.tickets_bulk, name="tickets_bulk"),
    path("workspace/availability/", views.agent_availability, name="agent_availability"),
    path("workspace/tickets/<int:number>/", views.ticket_detail, name="ticket_detail"),
    path("workspace/tickets/<int:number>/compose/", views.ticket_compose, name="ticket_compose"),
    path("workspace/tickets/<int:number>/status/", views.ticket_status, name="ticket_status"),
    path("workspace/tickets/<int:number>/assign/", views.ticket_assign, name="ticket_assign"),
    path("workspace/tickets/<int:number>/fields/", views.ticket_fields, name="ticket_fields"),
    path("workspace/tickets/<int:number>/merge/", views.ticket_merge, name="ticket_merge"),
    path("workspace/tickets/<int:number>/spam/", views.ticket_spam, name="ticket_spam"),
    path(
        "workspace/tickets/<int:number>/macro/",
        macro_views.ticket_macro_apply,
        name="ticket_macro_apply",
    ),
    path("workspace/macros/", macro_views.macro_list, name="macro_list"),
    path("workspace/macros/new/", macro_views.macro_create, name="macro_create"),
    path("workspace/macros/<int:macro_id>/", macro_views.macro_edit, name="macro_edit"),
    path("workspace/macros/<int:macro_id>/delete/", macro_views.macro_delete, name="macro_delete"),
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
