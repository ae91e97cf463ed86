"""Every write to tickets and requesters goes through these functions.

Channels (portal, email, API, chat, phone, social) and views call them; each owns its
transaction, records what happened on the ticket's event log, and queues side effects
(acknowledgements, notifications, live updates) only after commit. This package exports
the public names; its modules are by area.
"""

from tickets.services.changes import (
    EDITABLE_FIELDS,
    merge_check,
    organization_update,
    team_delete,
    team_member_add,
    ticket_assign,
    ticket_merge,
    ticket_merge_undo,
    ticket_requester_set,
    ticket_spam_mark,
    ticket_status_change,
    ticket_update,
)
from tickets.services.contacts import (
    contact_create,
    contact_for_email,
    contact_for_phone,
    contact_update,
    normalize_phone,
)
from tickets.services.intake import first_response_target, ticket_open
from tickets.services.messages import (
    TEXT_MAX_CHARS,
    IncomingFile,
    attachment_problem,
    attachments_check,
    message_remote_images_allow,
    sanitize_html,
    text_to_html,
)
from tickets.services.outgoing import (
    ACK_MAX_ATTEMPTS,
    AcknowledgementBusy,
    AckOutcome,
    acknowledgement_send,
    acknowledgements_sweep,
    clock_notification_send,
    clock_notifications_send,
    mention_notification_send,
    reply_notification_send,
)
from tickets.services.saved_views import saved_view_create, saved_view_delete
from tickets.services.thread import (
    Composed,
    mentioned_agents,
    replies_since,
    ticket_compose,
    ticket_note_add,
    ticket_reply_add,
)

__all__ = [
    "ACK_MAX_ATTEMPTS",
    "EDITABLE_FIELDS",
    "TEXT_MAX_CHARS",
    "AckOutcome",
    "AcknowledgementBusy",
    "Composed",
    "IncomingFile",
    "acknowledgement_send",
    "acknowledgements_sweep",
    "attachment_problem",
    "attachments_check",
    "clock_notification_send",
    "clock_notifications_send",
    "contact_create",
    "contact_for_email",
    "contact_for_phone",
    "contact_update",
    "first_response_target",
    "mention_notification_send",
    "mentioned_agents",
    "merge_check",
    "message_remote_images_allow",
    "normalize_phone",
    "organization_update",
    "replies_since",
    "reply_notification_send",
    "sanitize_html",
    "saved_view_create",
    "saved_view_delete",
    "team_delete",
    "team_member_add",
    "text_to_html",
    "ticket_assign",
    "ticket_compose",
    "ticket_merge",
    "ticket_merge_undo",
    "ticket_note_add",
    "ticket_open",
    "ticket_reply_add",
    "ticket_requester_set",
    "ticket_spam_mark",
    "ticket_status_change",
    "ticket_update",
]
