"""Forms of the portal and the agent workspace."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from helpdesk import selectors as platform_selectors
from helpdesk.tenancy import STAFF_ROLES
from tickets.models import AgentProfile, Category, Product, Team, Ticket
from tickets.services import IncomingFile


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Any number of files; their limits are checked by the ticket services."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Attachments"))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[IncomingFile]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        incoming = []
        for file in files:
            incoming.append(self._incoming(super().clean(file, initial)))
        return incoming

    @staticmethod
    def _incoming(file: UploadedFile) -> IncomingFile:
        return IncomingFile(
            name=file.name or "attachment",
            content_type=file.content_type or "application/octet-stream",
            content=file.read(),
        )


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return str(obj)


class PortalTicketForm(forms.Form):
    """What a customer tells us when they ask for help."""

    subject = forms.CharField(label=_("Subject"), max_length=250)
    description = forms.CharField(
        label=_("Describe the problem"), widget=forms.Textarea(attrs={"rows": 8})
    )
    category = CategoryChoiceField(label=_("Category"), queryset=None, required=False)
    product = forms.ModelChoiceField(label=_("Product"), queryset=None, required=False)
    priority = forms.ChoiceField(
        label=_("How urgent is it?"),
        choices=[
            (Ticket.Priority.LOW, _("Low: a question, no hurry")),
            (Ticket.Priority.MEDIUM, _("Normal: it hampers my work")),
            (Ticket.Priority.HIGH, _("High: I cannot work")),
        ],
        initial=Ticket.Priority.MEDIUM,
    )
    attachments = AttachmentsField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(is_active=True).select_related(
            "parent__parent"
        )
        self.fields["product"].queryset = Product.objects.filter(is_active=True)


class GuestStartForm(forms.Form):
    """A visitor without a login gives their address to receive a sign-in link."""

    name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(label=_("Your email address"))


class PortalReplyForm(forms.Form):
    """The requester adds to their ticket."""

    text = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 5}))
    attachments = AttachmentsField()


class ComposerForm(forms.Form):
    """An agent's public reply or internal note, optionally changing the status."""

    kind = forms.ChoiceField(
        choices=[("public", _("Public reply")), ("note", _("Internal note"))],
        initial="public",
        widget=forms.RadioSelect,
    )
    text = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 6}))
    status = forms.ChoiceField(
        label=_("Then set status"),
        choices=[("", _("Keep as is")), *Ticket.Status.choices],
        required=False,
    )
    attachments = AttachmentsField()


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Ticket.Status.choices)


class AssignForm(forms.Form):
    """Who owns the ticket, and which team's queue it sits in."""

    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=None, required=False, empty_label=_("Unassigned")
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=None, required=False, empty_label=_("No team")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = platform_selectors.tenant_users(roles=STAFF_ROLES)
        self.fields["team"].queryset = Team.objects.all()


class FieldsForm(forms.Form):
    """Categorisation an agent may correct."""

    priority = forms.ChoiceField(label=_("Priority"), choices=Ticket.Priority.choices)
    category = CategoryChoiceField(label=_("Category"), queryset=None, required=False)
    product = forms.ModelChoiceField(label=_("Product"), queryset=None, required=False)
    department = forms.CharField(label=_("Department"), max_length=80, required=False)
    tags = forms.CharField(
        label=_("Tags"), required=False, help_text=_("Separated by commas or spaces.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.select_related("parent__parent")
        self.fields["product"].queryset = Product.objects.all()

    def clean_tags(self) -> list[str]:
        raw = self.cleaned_data["tags"].replace(",", " ")
        return sorted({tag.lower() for tag in raw.split() if tag})


class PhoneCallForm(forms.Form):
    """An agent logs a call as a ticket; the caller is found by number."""

    phone = forms.CharField(label=_("Caller's number"), max_length=40)
    name = forms.CharField(label=_("Caller's name"), max_length=150, required=False)
    email = forms.EmailField(
        label=_("Caller's email"),
        required=False,
        help_text=_("For the acknowledgement and replies; optional."),
    )
    subject = forms.CharField(label=_("Subject"), max_length=250)
    description = forms.CharField(
        label=_("What the caller needs"), widget=forms.Textarea(attrs={"rows": 6})
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Ticket.Priority.choices, initial=Ticket.Priority.MEDIUM
    )


class AvailabilityForm(forms.Form):
    """Whether the agent takes new tickets now."""

    availability = forms.ChoiceField(
        label=_("Availability"), choices=AgentProfile.Availability.choices
    )
