"""The models of tickets, by area; every model is importable from here."""

from tickets.models.channels import (
    ChatWidget,
    SocialChannel,
    SocialIdentity,
    SocialThread,
    new_channel_secret,
    normalized_origin,
    validate_web_origin,
)
from tickets.models.desk import (
    AgentProfile,
    Category,
    Product,
    SavedView,
    Team,
    TeamMember,
)
from tickets.models.people import (
    Contact,
    ContactEmail,
    Organization,
)
from tickets.models.tickets import (
    OPEN_TICKET,
    Acknowledgement,
    Attachment,
    Message,
    ResponseTarget,
    Ticket,
    TicketCounter,
    attachment_path,
)
from tickets.models.timeline import (
    TicketEvent,
)
from tickets.models.workflow import (
    Automation,
    AutomationRun,
    Macro,
    PriorityMatrix,
    RoutingRule,
    default_priority_cells,
    default_raise_tiers,
)

__all__ = [
    "OPEN_TICKET",
    "Acknowledgement",
    "AgentProfile",
    "Attachment",
    "Automation",
    "AutomationRun",
    "Category",
    "ChatWidget",
    "Contact",
    "ContactEmail",
    "Macro",
    "Message",
    "Organization",
    "PriorityMatrix",
    "Product",
    "ResponseTarget",
    "RoutingRule",
    "SavedView",
    "SocialChannel",
    "SocialIdentity",
    "SocialThread",
    "Team",
    "TeamMember",
    "Ticket",
    "TicketCounter",
    "TicketEvent",
    "attachment_path",
    "default_priority_cells",
    "default_raise_tiers",
    "new_channel_secret",
    "normalized_origin",
    "validate_web_origin",
]
