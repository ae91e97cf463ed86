"""Every category picker lists the tree in order: each parent, then its children, by name."""

from __future__ import annotations

import re

import pytest

from helpdesk.tenancy import tenant_context
from tests.factories import ContactFactory
from tickets import services
from tickets.models import Category

# Sorted by their own names the children fall among the roots ("Printers" after "Hardware",
# "Zed" last); as a tree each follows its parent.
TREE = ["Accounts", "Accounts › Zed", "Hardware", "Hardware › Printers"]  # noqa: RUF001


@pytest.fixture
def categories(acme) -> None:
    with tenant_context(acme):
        hardware = Category.objects.create(name="Hardware")
        Category.objects.create(name="Printers", parent=hardware)
        accounts = Category.objects.create(name="Accounts")
        Category.objects.create(name="Zed", parent=accounts)


def offered(html: str, name: str) -> list[str]:
    """The labels a page's `<select name=...>` offers, the empty choice left out."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    labels = re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', select)
    return [label.replace("&rsaquo;", "›") for _pk, label in labels]  # noqa: RUF001


def test_the_queue_filter_lists_categories_as_a_tree(acme_agent_client, categories):
    page = acme_agent_client.get("/workspace/").content.decode()
    assert offered(page, "category") == TREE


def test_the_portal_form_lists_categories_as_a_tree(acme_customer_client, categories):
    page = acme_customer_client.get("/portal/new/").content.decode()
    assert offered(page, "category") == TREE


def test_the_ticket_page_lists_categories_as_a_tree(acme, acme_agent_client, categories):
    with tenant_context(acme):
        ticket = services.ticket_open(
            requester=ContactFactory(tenant=acme), subject="Hello", channel="api"
        )
    page = acme_agent_client.get(f"/workspace/tickets/{ticket.number}/").content.decode()
    assert offered(page, "category") == TREE


def test_the_routing_rule_tester_lists_categories_as_a_tree(acme_admin_client, categories):
    page = acme_admin_client.get("/admin/tickets/routingrule/test/").content.decode()
    assert offered(page, "category") == TREE


def test_the_parent_picker_of_a_category_lists_categories_as_a_tree(acme_admin_client, categories):
    page = acme_admin_client.get("/admin/tickets/category/add/").content.decode()
    assert offered(page, "parent") == TREE
