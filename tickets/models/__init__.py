"""The models of tickets, by area; every model is importable from here."""

from tickets.models.desk import (
    AgentProfile,
    Category,
    DeskSettings,
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
    "Contact",
    "ContactEmail",
    "DeskSettings",
    "Macro",
    "Message",
    "Organization",
    "PriorityMatrix",
    "Product",
    "ResponseTarget",
    "RoutingRule",
    "SavedView",
    "Team",
    "TeamMember",
    "Ticket",
    "TicketCounter",
    "TicketEvent",
    "attachment_path",
    "default_priority_cells",
    "default_raise_tiers",
]
