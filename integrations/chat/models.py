"""The website chat: a desk's widget settings (where it may run, what it says)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from helpdesk.tenancy import TenantOwned


def validate_web_origin(value: str) -> None:
    """Accept a website origin such as https://www.acme.com (scheme, host, optional port)."""
    parts = urlsplit(value.strip())
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username
    ):
        raise ValidationError(
            _("“%(origin)s” is not a website origin like https://www.example.com."),
            params={"origin": value},
        )


def normalized_origin(origin: str) -> str:
    """An origin as browsers send it: lower case, no trailing slash, no default port."""
    origin = origin.strip().lower().rstrip("/")
    for scheme, port in (("http://", ":80"), ("https://", ":443")):
        if origin.startswith(scheme) and origin.endswith(port):
            return origin.removesuffix(port)
    return origin


class ChatWidget(TenantOwned):
    """The desk's live-chat widget: whether it answers, on which websites, and what it says."""

    is_enabled = models.BooleanField(_("enabled"), default=True)
    allowed_origins = ArrayField(
        models.CharField(max_length=200, validators=[validate_web_origin]),
        verbose_name=_("allowed websites"),
        default=list,
        blank=True,
        help_text=_(
            "Origins of the websites that may show the chat, comma-separated, e.g. "
            "https://www.acme.com. Empty: any website."
        ),
    )
    greeting = models.TextField(
        _("greeting"), blank=True, help_text=_("Shown when a visitor opens the chat.")
    )
    offline_message = models.TextField(
        _("offline message"),
        blank=True,
        help_text=_(
            "Shown when no agent is online; {ticket} becomes the ticket number. "
            "Empty: a standard text."
        ),
    )

    class Meta:
        db_table = "tickets_chatwidget"  # made in tickets; kept when it moved
        verbose_name = _("chat widget")
        verbose_name_plural = _("chat widgets")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="one_chat_widget")]

    def __str__(self) -> str:
        return str(_("Chat widget"))

    def clean(self) -> None:
        # Stored as browsers send them, so checking an Origin header is a plain comparison.
        self.allowed_origins = [
            normalized_origin(origin) for origin in self.allowed_origins if origin.strip()
        ]

    def allows_origin(self, origin: str) -> bool:
        """Whether a page of `origin` may open the chat (no list: every website may)."""
        if not self.allowed_origins:
            return True
        return normalized_origin(origin) in {normalized_origin(o) for o in self.allowed_origins}

    @property
    def greeting_text(self) -> str:
        return self.greeting or str(_("Hello! How can we help you today?"))

    def offline_text(self, reference: str) -> str:
        """What a visitor reads when no agent is online to take their chat."""
        if self.offline_message:
            return self.offline_message.replace("{ticket}", reference)
        return str(
            _(
                "No agent is available right now; we have logged your request as %(ticket)s "
                "and will answer by email."
            )
            % {"ticket": reference}
        )
