"""What a website visitor may send to the chat: a name, an address, lines of limited length."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_CHAT_TEXT = 4000  # characters of one chat line


class ChatStartForm(forms.Form):
    """A website visitor's name, email address and opening line."""

    name = forms.CharField(label=_("Name"), max_length=150)
    email = forms.EmailField(label=_("Email address"))
    message = forms.CharField(label=_("Message"), max_length=MAX_CHAT_TEXT)


class ChatMessageForm(forms.Form):
    """One further line of a visitor's chat."""

    text = forms.CharField(label=_("Message"), max_length=MAX_CHAT_TEXT)
