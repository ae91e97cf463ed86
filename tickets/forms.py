"""Forms of the portal and the agent workspace."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from helpdesk import selectors as platform_selectors
from helpdesk.form_renderer import QUICK_RENDERER
from helpdesk.tenancy import STAFF_ROLES
from helpdesk.text import is_number
from tickets import selectors
from tickets.category_field import CategoryChoiceField
from tickets.models import AgentProfile, Category, Macro, Organization, Product, Team, Ticket
from tickets.services import TEXT_MAX_CHARS, IncomingFile


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
        # Sizes as the upload counted them while it streamed to disk: a file over the limit
        # is refused here, before any of it is read into memory.
        too_large = [file.name for file in files if file.size > settings.ATTACHMENT_MAX_BYTES]
        if too_large:
            limit = settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)
            raise forms.ValidationError(
                [
                    _("“%(name)s” is larger than %(limit)s MB.") % {"name": name, "limit": limit}
                    for name in too_large
                ]
            )
        incoming = []
        for file in files:
            incoming.append(self._incoming(super().clean(file, initial)))
        return incoming

    @staticmethod
    def _incoming(file: UploadedFile) -> IncomingFile:
        # The upload as Django received it (in memory when small, else a temporary file),
        # stored from there chunk by chunk: never read whole into memory.
        return IncomingFile(
            name=file.name or "attachment",
            content_type=file.content_type or "application/octet-stream",
            content=file,
        )


class PortalTicketForm(forms.Form):
    """What a customer tells us when they ask for help."""

    subject = forms.CharField(label=_("Subject"), max_length=250)
    description = forms.CharField(
        label=_("Describe the problem"),
        max_length=TEXT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 8}),
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
    impact = forms.ChoiceField(
        label=_("Who is affected?"),
        choices=[
            ("", _("Not sure")),
            (Ticket.Level.LOW, _("Just me")),
            (Ticket.Level.MEDIUM, _("My team or department")),
            (Ticket.Level.HIGH, _("The whole company or our customers")),
        ],
        required=False,
    )
    urgency = forms.ChoiceField(
        label=_("How soon does it hurt?"),
        choices=[
            ("", _("Not sure")),
            (Ticket.Level.LOW, _("It can wait")),
            (Ticket.Level.MEDIUM, _("Within days")),
            (Ticket.Level.HIGH, _("Right now")),
        ],
        required=False,
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

    text = forms.CharField(
        label=_("Your reply"), max_length=TEXT_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 5})
    )
    attachments = AttachmentsField()


class ComposerForm(forms.Form):
    """An agent's public reply or internal note, optionally changing the status."""

    kind = forms.ChoiceField(
        choices=[("public", _("Public reply")), ("note", _("Internal note"))],
        initial="public",
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label=_("Message"),
        max_length=TEXT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("In a note, @name (an agent's email address or its first part) notifies them."),
    )
    status = forms.ChoiceField(
        label=_("Then set status"),
        choices=[("", _("Keep as is")), *Ticket.Status.choices],
        required=False,
    )
    attachments = AttachmentsField()
    # The newest message the agent had on screen; a newer reply by someone else is a collision.
    seen = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    confirmed = forms.BooleanField(widget=forms.HiddenInput, required=False)


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
        label=_("What the caller needs"),
        max_length=TEXT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Ticket.Priority.choices, initial=Ticket.Priority.MEDIUM
    )


# --- queues ------------------------------------------------------------------------------------

SORT_CHOICES = [
    ("newest", _("Newest first")),
    ("oldest", _("Oldest first")),
    ("updated", _("Recently updated")),
    ("urgent", _("Most urgent first")),
]


class AssigneeFilterField(forms.ChoiceField):
    """Anyone, nobody, or one agent of the desk."""

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        if value in ("", "none"):
            return value
        # The choices come from the desk directory, which may trail a change by a moment.
        agent = platform_selectors.tenant_users(roles=STAFF_ROLES).filter(pk=int(value)).first()
        if agent is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return agent


class DirectoryChoicesMixin:
    """Offers teams, categories, products and agents from the desk directory (no query).

    The pickers list the directory's (id, label) pairs, read only when a picker is rendered
    or checked; a chosen value is still looked up through the field's queryset.
    """

    def __init__(
        self, *args: Any, directory: selectors.DeskDirectory | None = None, **kwargs: Any
    ) -> None:
        self._directory = directory
        super().__init__(*args, **kwargs)

    @cached_property
    def directory(self) -> selectors.DeskDirectory:
        return self._directory or selectors.desk_directory()

    def _offer(self, name: str, pairs: Any) -> None:
        """Let the model choice field `name` offer `pairs()` after its empty choice."""
        field = self.fields[name]  # type: ignore[attr-defined]
        # Cached: a select asks for its first choice before it renders them all.
        field.choices = functools.cache(lambda: [("", field.empty_label), *pairs()])


class QueueFilterForm(DirectoryChoicesMixin, forms.Form):
    """The filters and sort of a queue page; every field is optional."""

    default_renderer = QUICK_RENDERER  # the same HTML as Django's, without a template per option

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.MultipleChoiceField(
        label=_("Status"),
        choices=Ticket.Status.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,  # ticked by clicking: no modifier keys
    )
    priority = forms.MultipleChoiceField(
        label=_("Priority"),
        choices=Ticket.Priority.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,  # ticked by clicking: no modifier keys
    )
    channel = forms.MultipleChoiceField(
        label=_("Channel"),
        choices=Ticket.Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,  # ticked by clicking: no modifier keys
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=None, required=False, empty_label=_("Any team")
    )
    assignee = AssigneeFilterField(label=_("Assignee"), required=False)
    category = CategoryChoiceField(
        label=_("Category"), queryset=None, required=False, empty_label=_("Any category")
    )
    product = forms.ModelChoiceField(
        label=_("Product line"), queryset=None, required=False, empty_label=_("Any product")
    )
    department = forms.CharField(label=_("Department"), required=False, max_length=80)
    region = forms.CharField(label=_("Region"), required=False, max_length=40)
    tier = forms.ChoiceField(
        label=_("Customer tier"),
        choices=[("", _("Any tier")), *Organization.Tier.choices],
        required=False,
    )
    tags = forms.CharField(label=_("Tags"), required=False, max_length=200)
    sla = forms.ChoiceField(
        label=_("SLA"),
        choices=[
            ("", _("Any SLA state")),
            ("breached", _("Breached")),
            ("warning", _("At risk")),
            ("ok", _("On track")),
        ],
        required=False,
    )
    vip = forms.BooleanField(label=_("VIP only"), required=False)
    sort = forms.ChoiceField(label=_("Sort"), choices=SORT_CHOICES, required=False)

    def __init__(self, *args: Any, hidden_teams: Sequence[int] = (), **kwargs: Any) -> None:
        """`hidden_teams`: private teams the agent is not in, neither offered nor accepted."""
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.exclude(pk__in=hidden_teams)
        self.fields["category"].queryset = Category.objects.select_related("parent__parent")
        self.fields["product"].queryset = Product.objects.all()
        self._offer(
            "team",
            lambda: [pair for pair in self.directory.team_choices if pair[0] not in hidden_teams],
        )
        self._offer("category", lambda: self.directory.categories)
        self._offer("product", lambda: self.directory.products)
        self.fields["assignee"].choices = functools.cache(
            lambda: [
                ("", _("Anyone")),
                ("none", _("Nobody")),
                *((str(pk), label) for pk, label in self.directory.agents),
            ]
        )

    def clean_tags(self) -> list[str]:
        raw = self.cleaned_data["tags"].replace(",", " ")
        return sorted({tag.lower() for tag in raw.split() if tag})

    def saved(self) -> dict[str, Any]:
        """The filters as a saved view stores them: the query string's values, none empty."""
        stored: dict[str, Any] = {}
        for name in self.fields:
            if name == "sort":
                continue
            values = [value for value in self.data.getlist(name) if value]
            if values:
                multiple = isinstance(self.fields[name], forms.MultipleChoiceField)
                stored[name] = values if multiple else values[0]
        return stored


class SavedViewForm(forms.Form):
    """Name the current filters as a view of one's own or of the whole desk."""

    default_renderer = QUICK_RENDERER

    name = forms.CharField(label=_("Name"), max_length=80)
    is_shared = forms.BooleanField(label=_("Share with every agent"), required=False)
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)


class BulkForm(DirectoryChoicesMixin, forms.Form):
    """One change applied to the tickets selected in a queue."""

    default_renderer = QUICK_RENDERER

    ACTIONS = [
        ("assign", _("Assign to")),
        ("status", _("Set status")),
        ("priority", _("Set priority")),
        ("team", _("Move to team")),
        ("macro", _("Apply macro")),
        ("merge", _("Merge into ticket")),
    ]
    tickets = forms.TypedMultipleChoiceField(coerce=int, choices=(), label=_("Tickets"))
    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS)
    agent = forms.ModelChoiceField(
        label=_("Agent"), queryset=None, required=False, empty_label=_("Nobody")
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", "—"), *Ticket.Status.choices], required=False
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=[("", "—"), *Ticket.Priority.choices], required=False
    )
    team = forms.ModelChoiceField(label=_("Team"), queryset=None, required=False, empty_label="—")
    macro = forms.ModelChoiceField(label=_("Macro"), queryset=None, required=False, empty_label="—")
    target = forms.CharField(label=_("Target ticket"), required=False, max_length=40)

    def __init__(self, *args: Any, agent: Any = None, **kwargs: Any) -> None:
        # Its own ids: the filter bar on the same page has a "team" field too.
        kwargs.setdefault("auto_id", "bulk_%s")
        super().__init__(*args, **kwargs)
        from tickets import macros

        self.fields["agent"].queryset = platform_selectors.tenant_users(roles=STAFF_ROLES)
        self.fields["team"].queryset = Team.objects.all()
        usable = macros.macros_for(agent=agent) if agent is not None else Macro.objects.none()
        self.fields["macro"].queryset = usable
        self._offer("agent", lambda: self.directory.agents)
        self._offer("team", lambda: self.directory.team_choices)
        # The agent's own macros are theirs alone: one query, when the picker is rendered.
        self._offer("macro", lambda: usable.values_list("pk", "name"))
        # Any id may be posted; the view looks each one up in the tenant's tickets.
        self.fields["tickets"].valid_value = lambda value: is_number(str(value))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        action = data.get("action")
        needed = {
            "status": "status", "priority": "priority", "team": "team", "merge": "target",
            "macro": "macro",
        }  # fmt: skip
        field = needed.get(action or "")
        if field and not data.get(field):
            self.add_error(field, _("Choose what to set."))
        return data


class MergeForm(forms.Form):
    """Merge this ticket into another one, given by its number or reference."""

    target = forms.CharField(label=_("Merge into ticket"), max_length=40)


class TagsField(forms.CharField):
    """Tags typed as words separated by commas or spaces."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("Separated by commas or spaces."))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return " ".join(value) if isinstance(value, list | tuple) else value

    def clean(self, value: Any) -> list[str]:
        raw = super().clean(value).replace(",", " ")
        return sorted({tag.lower() for tag in raw.split() if tag})


class MacroForm(forms.ModelForm):
    """An agent's own macro: reply text with placeholders and the changes it makes."""

    add_tags = TagsField(label=_("Add tags"))
    remove_tags = TagsField(label=_("Remove tags"))

    class Meta:
        model = Macro
        fields = [
            "name", "body", "set_status", "set_priority", "add_tags", "remove_tags",
            "assign_to_me",
        ]  # fmt: skip
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from rules.placeholders import placeholder_help

        super().__init__(*args, **kwargs)
        self.fields["set_team"] = forms.ModelChoiceField(
            label=_("Move to team"),
            queryset=Team.objects.all(),
            required=False,
            initial=self.instance.set_team_id,
        )
        self.fields["body"].help_text = _("Placeholders: %s") % placeholder_help()

    def _post_clean(self) -> None:
        self.instance.set_team = self.cleaned_data.get("set_team")
        super()._post_clean()


class MacroPickForm(forms.Form):
    """The macro an agent applies to a ticket, from those they may use."""

    macro = forms.ModelChoiceField(label=_("Macro"), queryset=None)

    def __init__(self, *args: Any, agent: Any, **kwargs: Any) -> None:
        from tickets.macros import macros_for

        super().__init__(*args, **kwargs)
        self.fields["macro"].queryset = macros_for(agent=agent)


class AvailabilityForm(forms.Form):
    """Whether the agent takes new tickets now."""

    availability = forms.ChoiceField(
        label=_("Availability"), choices=AgentProfile.Availability.choices
    )
