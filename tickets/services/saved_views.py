"""Agents' saved queue views."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from helpdesk.models import User
from tickets.models import (
    SavedView,
)


@transaction.atomic
def saved_view_create(
    *, owner: User, name: str, is_shared: bool, filters: dict[str, Any], sort: str = ""
) -> SavedView:
    """Name a set of queue filters, for the agent alone or for every agent of the desk."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError(_("A view needs a name."))
    if SavedView.objects.filter(owner=owner, name__iexact=name).exists():
        raise ValidationError(_("You already have a view named “%(name)s”.") % {"name": name})
    return SavedView.objects.create(
        owner=owner, name=name, is_shared=is_shared, filters=filters, sort=sort
    )


@transaction.atomic
def saved_view_delete(*, view: SavedView, by: User, as_manager: bool = False) -> None:
    """Delete a view: one's own, or as a manager any shared one."""
    if view.owner_id != by.pk and not (as_manager and view.is_shared):
        raise ValidationError(_("Only its owner or a manager can delete this view."))
    view.delete()
