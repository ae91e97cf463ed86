"""What social channels may send: a sender, a conversation, a message of limited length."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_SOCIAL_TEXT = 20_000  # characters of one social message; longer ones are refused


class SocialMessageForm(forms.Form):
    """One message posted by a social channel, flattened from its JSON body."""

    handle = forms.CharField(max_length=255)
    name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)
    text = forms.CharField(max_length=MAX_SOCIAL_TEXT)
    thread_id = forms.CharField(max_length=255)
    message_id = forms.CharField(max_length=255, required=False)

    # Where each field sits in the posted JSON, for error messages the sender can act on.
    PATHS = {
        "handle": "sender.handle",
        "name": "sender.name",
        "email": "sender.email",
        "text": "text",
        "thread_id": "thread_id",
        "message_id": "message_id",
    }
    REQUIRED = ("handle", "text", "thread_id")

    @classmethod
    def from_payload(cls, payload: dict) -> SocialMessageForm:
        """The form bound to a decoded webhook body; wrong JSON types become field errors."""
        sender = payload.get("sender")
        sender = sender if isinstance(sender, dict) else {}
        raw = {
            "handle": sender.get("handle"),
            "name": sender.get("name"),
            "email": sender.get("email"),
            "text": payload.get("text"),
            "thread_id": payload.get("thread_id"),
            "message_id": payload.get("message_id"),
        }
        form = cls(data={key: _scalar(value) for key, value in raw.items() if value is not None})
        form.wrong_types = [
            key for key, value in raw.items() if value is not None and _scalar(value) is None
        ]
        return form

    def missing(self) -> list[str]:
        """JSON paths of required parts that are absent or blank."""
        return [
            self.PATHS[key]
            for key in self.REQUIRED
            if key not in self.wrong_types and not self.data.get(key, "").strip()
        ]

    def problems(self) -> dict[str, list[str]]:
        """Every error by JSON path; empty when the message may be filed."""
        self.is_valid()
        problems = {self.PATHS.get(key, key): list(errors) for key, errors in self.errors.items()}
        for key in self.wrong_types:
            problems[self.PATHS[key]] = [str(_("Must be a string."))]
        return problems


def _scalar(value: object) -> str | None:
    """Strings as they are, whole numbers (ids) as text; anything else is not accepted."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None
