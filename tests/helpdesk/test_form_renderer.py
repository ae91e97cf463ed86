"""The quick form renderer gives the HTML Django's own widget templates give, byte for byte."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.http import QueryDict
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from helpdesk.form_renderer import QUICK_RENDERER
from helpdesk.tenancy import Role, tenant_context
from tests.conftest import member
from tests.factories import TeamFactory
from tickets import forms as ticket_forms
from tickets.models import Category, Macro, Product

DJANGO = DjangoTemplates()


class Everything(forms.Form):
    """Widgets in the states a page can show them in, with awkward labels and values."""

    text = forms.CharField(max_length=20, help_text="Say <something>")
    number = forms.IntegerField(required=False, widget=forms.NumberInput(attrs={"step": 2}))
    email = forms.EmailField(required=False, disabled=True, initial='a"b@example.com')
    hidden = forms.CharField(widget=forms.HiddenInput, initial="x&y")
    agree = forms.BooleanField(initial=True)
    pick = forms.ChoiceField(
        choices=[
            ("", "—"),
            ("a", "A & B"),
            (2, mark_safe("<b>two</b>")),
            ("lazy", gettext_lazy("Open")),
        ]
    )
    required_pick = forms.ChoiceField(choices=[("", "Choose"), ("x", "X")])
    grouped = forms.ChoiceField(
        choices=[("Fruit", [("apple", "Apple"), ("pear", "Pear")]), ("none", "None of these")],
        required=False,
    )
    many = forms.MultipleChoiceField(
        choices=[("1", "One"), ("2", "Two"), ("3", "Three")], required=False
    )
    radio = forms.ChoiceField(choices=[("r", "R")], widget=forms.RadioSelect, required=False)
    note = forms.CharField(widget=forms.Textarea, required=False)


STATES = [
    None,  # unbound
    QueryDict(""),  # bound and empty: errors, aria-invalid
    QueryDict("text=<hi>&number=4&agree=on&pick=2&required_pick=x&grouped=pear&many=1&many=3"),
    QueryDict("pick=a&pick=lazy&many=9&grouped=apple&text=" + "x" * 30),
]


@pytest.mark.parametrize("data", STATES)
def test_every_widget_renders_as_django_renders_it(data):
    quick = Everything(data, renderer=QUICK_RENDERER)
    django = Everything(data, renderer=DJANGO)
    for name in quick.fields:
        assert str(quick[name]) == str(django[name]), name


@pytest.mark.parametrize(
    "query", ["", "team=1&assignee=none&category=2&sort=urgent&vip=on&status=open&status=new",
              "assignee=999&team=x&q=%3Cscript%3E"],
)  # fmt: skip
def test_the_queue_filter_and_bulk_bars_render_as_django_renders_them(acme, acme_agent, query):
    member(acme, "o'brien@acme.example", Role.AGENT)
    TeamFactory(tenant=acme, name="L1 & <L2>")
    with tenant_context(acme):
        billing = Category.objects.create(name="Billing")
        Category.objects.create(name="Refunds & returns", parent=billing)
        Product.objects.create(name='Widget "Pro"')
        Macro.objects.create(name="Thanks <3", body="Thanks")
        pages = [
            (ticket_forms.QueueFilterForm, {"data": QueryDict(query)}),
            (ticket_forms.BulkForm, {"agent": acme_agent}),
            (ticket_forms.SavedViewForm, {"initial": {"query": query}}),
        ]
        for form_class, kwargs in pages:
            quick = form_class(**kwargs)
            django = form_class(**kwargs, renderer=DJANGO)
            assert quick.renderer is QUICK_RENDERER
            for name in quick.fields:
                assert str(quick[name]) == str(django[name]), name
