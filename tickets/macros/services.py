"""Applying, saving and deleting macros."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from helpdesk.models import User
from tickets import services
from tickets.macros.selectors import macro_render, tags_normalized
from tickets.models import Macro, Message, Ticket


@transaction.atomic
def macro_apply(*, macro: Macro, ticket: Ticket, agent: User) -> Message | None:
    """Send the macro's reply and make its changes on `ticket`, all or nothing.

    The reply goes through `ticket_reply_add` (mailed to the requester, first response counted);
    the status is set with the reply, so "reply and set pending" is one step. Returns the reply,
    or None for a macro without text.
    """
    preview = macro_render(macro=macro, ticket=ticket, agent=agent)
    source = f"macro '{macro.name}'"[:120]
    if preview.assignee is not None:
        ticket = services.ticket_assign(ticket=ticket, agent=agent, by=agent, source=source)
    fields: dict[str, Any] = {}
    if "priority" in preview.changes:
        fields["priority"] = macro.set_priority
    if "team" in preview.changes:
        fields["team"] = macro.set_team
    if preview.tags_added or preview.tags_removed:
        fields["tags"] = [t for t in ticket.tags if t not in preview.tags_removed] + list(
            preview.tags_added
        )
    if fields:
        ticket = services.ticket_update(ticket=ticket, by=agent, source=source, **fields)
    message = None
    if preview.text:
        message = services.ticket_reply_add(
            ticket=ticket, text=preview.text, channel=ticket.channel, author_user=agent,
            status=macro.set_status or None,
        )  # fmt: skip
    elif "status" in preview.changes:
        services.ticket_status_change(
            ticket=ticket, status=macro.set_status, by=agent, source=source
        )
    return message


@transaction.atomic
def macro_save(*, macro: Macro, owner: User | None) -> Macro:
    """Create or change a macro (owner None: shared with the desk) after checking it."""
    macro.owner = owner
    macro.add_tags, macro.remove_tags = (
        tags_normalized(macro.add_tags),
        tags_normalized(macro.remove_tags),
    )
    macro.full_clean(exclude=["tenant"])  # the name's uniqueness includes the tenant: below
    taken = _("There is already a macro named “%(name)s”.") % {"name": macro.name}
    if Macro.objects.filter(owner=owner, name=macro.name).exclude(pk=macro.pk).exists():
        raise ValidationError({"name": taken})
    try:
        with transaction.atomic():
            macro.save()
    except IntegrityError as error:  # the same name saved at the same moment
        if "macro_name_unique" not in str(error):
            raise
        raise ValidationError({"name": taken}) from None
    return macro


@transaction.atomic
def macro_delete(*, macro: Macro) -> None:
    """Remove a macro; replies already sent with it stay."""
    macro.delete()
