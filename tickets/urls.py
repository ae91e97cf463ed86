from django.urls import path

from tickets.views import contacts, macros, portal, search, ticket, workspace

app_name = "tickets"
urlpatterns = [
    path("workspace/", workspace.workspace, name="workspace"),
    path("workspace/phone/", workspace.phone_call, name="phone_call"),
    path("workspace/queues/<slug:key>/", workspace.queue, name="queue"),
    path("workspace/teams/<int:team_id>/", workspace.team_queue, name="team_queue"),
    path("workspace/views/new/", workspace.saved_view_create, name="saved_view_create"),
    path("workspace/views/<int:view_id>/", workspace.saved_view, name="saved_view"),
    path(
        "workspace/views/<int:view_id>/delete/",
        workspace.saved_view_delete,
        name="saved_view_delete",
    ),
    path("workspace/counts/", workspace.queue_counts, name="queue_counts"),
    path("workspace/teammates/", workspace.teammates, name="teammates"),
    path("workspace/bulk/", workspace.tickets_bulk, name="tickets_bulk"),
    path("workspace/availability/", workspace.agent_availability, name="agent_availability"),
    path("workspace/search/", search.search, name="search"),
    path("workspace/contacts/<int:contact_id>/", contacts.contact_detail, name="contact_detail"),
    path("workspace/tickets/<int:number>/", ticket.ticket_detail, name="ticket_detail"),
    path("workspace/tickets/<int:number>/compose/", ticket.ticket_compose, name="ticket_compose"),
    path("workspace/tickets/<int:number>/status/", ticket.ticket_status, name="ticket_status"),
    path("workspace/tickets/<int:number>/assign/", ticket.ticket_assign, name="ticket_assign"),
    path("workspace/tickets/<int:number>/fields/", ticket.ticket_fields, name="ticket_fields"),
    path("workspace/tickets/<int:number>/merge/", ticket.ticket_merge, name="ticket_merge"),
    path(
        "workspace/tickets/<int:number>/merge/undo/",
        ticket.ticket_merge_undo,
        name="ticket_merge_undo",
    ),
    path(
        "workspace/tickets/<int:number>/requester/",
        ticket.ticket_requester,
        name="ticket_requester",
    ),
    path("workspace/tickets/<int:number>/spam/", ticket.ticket_spam, name="ticket_spam"),
    path(
        "workspace/tickets/<int:number>/macro/",
        macros.ticket_macro_apply,
        name="ticket_macro_apply",
    ),
    path("workspace/macros/", macros.macro_list, name="macro_list"),
    path("workspace/macros/new/", macros.macro_create, name="macro_create"),
    path("workspace/macros/<int:macro_id>/", macros.macro_edit, name="macro_edit"),
    path("workspace/macros/<int:macro_id>/delete/", macros.macro_delete, name="macro_delete"),
    path(
        "workspace/tickets/<int:number>/attachments/<int:attachment_id>/",
        ticket.attachment_download,
        name="attachment_download",
    ),
    path(
        "workspace/tickets/<int:number>/messages/<int:message_id>/images/",
        ticket.message_remote_images_allow,
        name="message_remote_images_allow",
    ),
    path("portal/", portal.portal, name="portal"),
    path("portal/new/", portal.portal_new, name="portal_new"),
    path("portal/start/", portal.portal_start, name="portal_start"),
    path("portal/confirm/<str:token>/", portal.portal_confirm, name="portal_confirm"),
    path("portal/tickets/<int:number>/", portal.portal_ticket, name="portal_ticket"),
    path(
        "portal/tickets/<int:number>/attachments/<int:attachment_id>/",
        portal.portal_attachment,
        name="portal_attachment",
    ),
]
