"""Queue pages offer the desk's teams, agents, categories and products: current, cheap, per desk."""

from __future__ import annotations

import re

from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from pytest_django.asserts import assertContains, assertNotContains

from helpdesk.models import Membership
from helpdesk.tenancy import Role, tenant_context
from tests.conftest import member
from tests.factories import ContactFactory, TeamFactory, TeamMemberFactory
from tests.helpdesk.test_process_cache import UNREACHABLE_REDIS
from tickets import selectors, services
from tickets.models import Category, Macro, Product, SavedView, Team, TeamMember, Ticket

FILTER = "filter-form"
BULK = "bulk-form"


def bar(response, form_id: str) -> str:
    """The HTML of the filter bar or the bulk bar of a queue page."""
    html = response.content.decode()
    if form_id == FILTER:
        return re.search(r'<form method="get" class="filter-form".*?</form>', html, re.S).group()
    return re.search(r'<form [^>]*id="bulk-form".*?</form>', html, re.S).group()


def select(html: str, name: str) -> str:
    return re.search(rf'<select name="{name}".*?</select>', html, re.S).group()


def open_ticket(tenant, subject, **fields) -> Ticket:
    with tenant_context(tenant):
        requester = ContactFactory(tenant=tenant)
        return services.ticket_open(
            requester=requester, subject=subject, channel="portal", **fields
        )


def crowd(tenant, n: int) -> None:
    """A desk with `n` each of teams, agents, categories (two levels), products, macros, views."""
    for i in range(n):
        agent = member(tenant, f"crowd{i}@{tenant.slug}.example", Role.AGENT)
        TeamMemberFactory(tenant=tenant, team=TeamFactory(tenant=tenant), user=agent)
    with tenant_context(tenant):
        for i in range(n):
            parent = Category.objects.create(name=f"Area {i}")
            Category.objects.create(name=f"Topic {i}", parent=parent)
            Product.objects.create(name=f"Product {i}")
            Macro.objects.create(name=f"Macro {i}", body="Hello")
            SavedView.objects.create(
                owner=agent, name=f"View {i}", is_shared=True, filters={"priority": ["high"]}
            )


# --- current -------------------------------------------------------------------------------


def test_a_team_renamed_in_admin_shows_its_new_name_in_the_queue_filter_on_the_next_page_load(
    acme, acme_team, acme_agent_client, acme_admin_client
):
    billing = TeamFactory(tenant=acme, name="Billing")
    assertContains(acme_agent_client.get("/workspace/"), ">Billing</option>")
    response = acme_admin_client.post(
        f"/admin/tickets/team/{billing.pk}/change/",
        {
            "name": "Invoices and refunds", "department": "", "description": "",
            "assignment_strategy": "manual",
            "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000",
        },
    )  # fmt: skip
    assert response.status_code == 302
    page = acme_agent_client.get("/workspace/")
    assert f'<option value="{billing.pk}">Invoices and refunds</option>' in select(
        bar(page, FILTER), "team"
    )
    assert ">Invoices and refunds</option>" in select(bar(page, BULK), "team")
    assertContains(page, f'href="/workspace/teams/{billing.pk}/">Invoices and refunds</a>')
    assertNotContains(page, "Billing")


def test_a_new_agent_can_be_picked_in_the_bulk_bar_on_the_next_page_load(
    acme, acme_team, acme_agent_client
):
    acme_agent_client.get("/workspace/")
    newcomer = member(acme, "newcomer@acme.example", Role.AGENT)
    page = acme_agent_client.get("/workspace/")
    assert f'<option value="{newcomer.pk}">{newcomer}</option>' in select(bar(page, BULK), "agent")
    assert f">{newcomer}</option>" in select(bar(page, FILTER), "assignee")


def test_an_agent_who_leaves_the_desk_is_no_longer_offered(acme, acme_team, acme_agent_client):
    leaver = member(acme, "leaver@acme.example", Role.AGENT)
    assertContains(acme_agent_client.get("/workspace/"), f">{leaver}</option>")
    with tenant_context(acme):
        membership = Membership.objects.get(user=leaver)
        membership.is_active = False
        membership.save()
    assertNotContains(acme_agent_client.get("/workspace/"), f">{leaver}</option>")


def test_an_agent_who_changes_their_name_is_offered_under_the_new_one(
    acme, acme_team, acme_agent, acme_agent_client
):
    colleague = member(acme, "colleague@acme.example", Role.AGENT)
    colleague.full_name = "Clara Meier"
    colleague.save()
    assertContains(acme_agent_client.get("/workspace/"), ">Clara Meier</option>")
    colleague.full_name = "Clara Schulz"
    colleague.save()  # a global row: every desk's agent lists must follow
    page = acme_agent_client.get("/workspace/")
    assert ">Clara Schulz</option>" in select(bar(page, FILTER), "assignee")
    assertNotContains(page, "Clara Meier")


def test_a_new_subcategory_and_product_show_in_the_queue_filter(acme, acme_team, acme_agent_client):
    with tenant_context(acme):
        billing = Category.objects.create(name="Billing")
    acme_agent_client.get("/workspace/")
    with tenant_context(acme):
        refunds = Category.objects.create(name="Refunds", parent=billing)
        product = Product.objects.create(name="Rocket skates")
    page = bar(acme_agent_client.get("/workspace/"), FILTER)
    assert f'<option value="{refunds.pk}">Billing › Refunds</option>' in select(page, "category")  # noqa: RUF001
    assert f'<option value="{product.pk}">Rocket skates</option>' in select(page, "product")


def test_a_private_team_shows_to_an_agent_from_the_page_load_after_they_join_it(
    acme, acme_team, acme_agent, acme_agent_client
):
    hr = TeamFactory(tenant=acme, name="HR cases", is_private=True)
    open_ticket(acme, "Salary question", team=hr)
    assertNotContains(acme_agent_client.get("/workspace/"), f'href="/workspace/teams/{hr.pk}/"')
    assert acme_agent_client.get(f"/workspace/teams/{hr.pk}/").status_code == 404
    TeamMemberFactory(tenant=acme, team=hr, user=acme_agent)
    assertContains(acme_agent_client.get("/workspace/"), f'href="/workspace/teams/{hr.pk}/"')
    assertContains(acme_agent_client.get(f"/workspace/teams/{hr.pk}/"), "Salary question")


def test_the_team_filter_names_no_private_team_the_agent_is_not_in(
    acme, acme_team, acme_agent, acme_agent_client
):
    hr = TeamFactory(tenant=acme, name="HR cases", is_private=True)
    open_ticket(acme, "Salary question", team=hr)
    page = acme_agent_client.get(f"/workspace/?team={hr.pk}")
    assert "HR cases" not in select(bar(page, FILTER), "team")
    assertNotContains(page, "Salary question")
    TeamMemberFactory(tenant=acme, team=hr, user=acme_agent)
    assert "HR cases" in select(bar(acme_agent_client.get("/workspace/"), FILTER), "team")


def test_an_agent_removed_from_a_private_team_loses_its_queue_at_once(
    acme, acme_team, acme_agent, acme_agent_client
):
    hr = TeamFactory(tenant=acme, name="HR cases", is_private=True)
    TeamMemberFactory(tenant=acme, team=hr, user=acme_agent)
    open_ticket(acme, "Salary question", team=hr)
    assertContains(acme_agent_client.get(f"/workspace/teams/{hr.pk}/"), "Salary question")
    with tenant_context(acme):
        TeamMember.objects.get(team=hr, user=acme_agent).delete()
    assert acme_agent_client.get(f"/workspace/teams/{hr.pk}/").status_code == 404
    assertNotContains(acme_agent_client.get("/workspace/"), f'href="/workspace/teams/{hr.pk}/"')


def test_a_team_made_private_by_another_process_is_hidden_on_the_next_page_load(
    acme, acme_team, acme_agent_client
):
    board = TeamFactory(tenant=acme, name="Board")
    open_ticket(acme, "Merger plans", team=board)
    assertContains(acme_agent_client.get(f"/workspace/teams/{board.pk}/"), "Merger plans")
    with tenant_context(acme):
        Team.objects.filter(pk=board.pk).update(is_private=True)  # no signal in this process
    selectors.desk_directory_changed(tenant_id=acme.pk)  # what the other process's save did
    assert acme_agent_client.get(f"/workspace/teams/{board.pk}/").status_code == 404


def test_teams_agents_categories_and_products_are_offered_in_name_order(
    acme, acme_agent, acme_agent_client
):
    for name in ("Zeta", "Alpha", "Mid"):
        TeamMemberFactory(tenant=acme, team=TeamFactory(tenant=acme, name=name), user=acme_agent)
        agent = member(acme, f"{name.lower()}@acme.example", Role.AGENT)
        agent.full_name = f"{name} Agent"
        agent.save()
        with tenant_context(acme):
            Category.objects.create(name=f"{name} topic")
            Product.objects.create(name=f"{name} product")
    page = acme_agent_client.get("/workspace/")
    filters = bar(page, FILTER)
    for picker, label in (("team", "{}"), ("category", "{} topic"), ("product", "{} product")):
        offered = re.findall(r">([^<]+)</option>", select(filters, picker))[1:]
        assert offered == [label.format(name) for name in ("Alpha", "Mid", "Zeta")]
    assignees = re.findall(r">([^<]+) Agent</option>", select(filters, "assignee"))
    assert assignees == ["Alpha", "Mid", "Zeta"]
    links = re.findall(r'<a href="/workspace/teams/\d+/">([^<]+)</a>', page.content.decode())
    assert links == ["Alpha", "Mid", "Zeta"]


def test_queue_pages_stay_current_while_redis_is_unreachable(acme, acme_team, acme_agent_client):
    with override_settings(CACHES=UNREACHABLE_REDIS):
        assertContains(acme_agent_client.get("/workspace/"), ">L1 Support</option>")
        with tenant_context(acme):
            Team.objects.filter(pk=acme_team.pk).update(name="First line")  # nobody is told
        assertContains(acme_agent_client.get("/workspace/"), ">First line</option>")


# --- per desk --------------------------------------------------------------------------------


def test_another_desks_teams_agents_and_categories_never_appear_in_the_filter_and_bulk_bars(
    acme, globex, acme_team, acme_agent_client, globex_agent, globex_agent_client
):
    ops = TeamFactory(tenant=globex, name="Globex Ops")
    TeamMemberFactory(tenant=globex, team=ops, user=globex_agent)
    hank = member(globex, "hank@globex.example", Role.AGENT)
    hank.full_name = "Hank Scorpio"
    hank.save()
    with tenant_context(globex):
        Category.objects.create(name="Doomsday devices")
        Product.objects.create(name="Hammock")
        Macro.objects.create(name="Globex greeting", body="Hi")
    # Both desks' directories are now held by this process, side by side.
    globex_page = globex_agent_client.get("/workspace/")
    assertContains(globex_page, "Doomsday devices")
    acme_page = acme_agent_client.get("/workspace/")
    globex_names = [
        "Globex Ops", "Hank Scorpio", "hank@globex.example", "Doomsday devices", "Hammock",
        "Globex greeting", str(globex_agent),
    ]  # fmt: skip
    for name in globex_names:
        assert name not in bar(acme_page, FILTER)
        assert name not in bar(acme_page, BULK)
        assertNotContains(acme_page, name)
    assertNotContains(globex_agent_client.get("/workspace/"), "L1 Support")


# --- cheap -----------------------------------------------------------------------------------


def test_queue_page_queries_do_not_grow_with_the_number_of_teams_agents_and_categories(
    acme, acme_team, acme_agent_client
):
    url = f"/workspace/teams/{acme_team.pk}/"
    acme_agent_client.get(url)
    with CaptureQueriesContext(connection) as few:
        acme_agent_client.get(url)
    crowd(acme, 25)
    acme_agent_client.get(url)  # the first load after the changes reads the directory again
    with CaptureQueriesContext(connection) as many:
        page = acme_agent_client.get(url)
    assertContains(page, "Topic 24")
    assert len(many) == len(few)


def test_a_queue_page_costs_a_fixed_few_queries(
    acme, acme_team, acme_agent_client, django_assert_max_num_queries
):
    crowd(acme, 10)
    for n in range(10):
        open_ticket(acme, f"Ticket {n}", team=acme_team)
    url = f"/workspace/teams/{acme_team.pk}/"
    acme_agent_client.get(url)
    # Tenant, session, user, membership, team, rows, SLA due times, availability, saved views,
    # macros, and the savepoint and tenant setting around them.
    with django_assert_max_num_queries(14):
        acme_agent_client.get(url)


def test_queue_rows_show_requesters_organisations_and_owners_without_a_query_per_row(
    acme, acme_team, acme_agent, acme_agent_client, django_assert_max_num_queries
):
    from tests.factories import OrganizationFactory

    with tenant_context(acme):
        bank = OrganizationFactory(tenant=acme, name="Big Bank", tier="enterprise", is_vip=True)
        for n in range(12):
            requester = ContactFactory(tenant=acme, name=f"Carol {n}", organization=bank)
            services.ticket_open(
                requester=requester, subject=f"Vault {n}", channel="email", team=acme_team,
                assignee=acme_agent, tags=["vault"],
            )  # fmt: skip
    url = f"/workspace/teams/{acme_team.pk}/"
    acme_agent_client.get(url)
    with django_assert_max_num_queries(14):
        page = acme_agent_client.get(url)
    row = re.search(r'<tr class="queue-row".*?Vault 11.*?</tr>', page.content.decode(), re.S)
    for shown in ("ACME-", "Carol 11", "Big Bank", "Enterprise", "VIP", "#vault", acme_team.name,
                  str(acme_agent)):  # fmt: skip
        assert shown in row.group()


def test_a_team_filter_naming_another_desks_team_is_ignored(
    acme, globex, acme_team, acme_agent_client
):
    other = TeamFactory(tenant=globex, name="Globex Ops")
    open_ticket(acme, "Acme only", team=acme_team)
    page = acme_agent_client.get(f"/workspace/?team={other.pk}")
    assertContains(page, "Acme only")  # not a choice of this desk: no filter at all


def test_every_control_of_a_queue_page_has_its_own_id(acme, acme_team, acme_agent_client):
    page = acme_agent_client.get(f"/workspace/teams/{acme_team.pk}/").content.decode()
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []  # labels point at one control
