"""Desks that existed before fallback teams get one when the migration runs."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from helpdesk.tenancy import tenant_context
from tests.factories import TeamFactory, TenantFactory
from tickets.models import DeskSettings, Team

BEFORE = [("tickets", "0019_search_vectors")]


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_existing_desks_get_their_support_team_or_a_new_one_as_fallback():
    leaf = MigrationExecutor(connection).loader.graph.leaf_nodes()
    with_support, with_others, without_teams = (
        TenantFactory(slug="one"),
        TenantFactory(slug="two"),
        TenantFactory(slug="three"),
    )
    TeamFactory(tenant=with_support, name="Billing")
    support = TeamFactory(tenant=with_support, name="Support")
    first = TeamFactory(tenant=with_others, name="L1 Support")
    TeamFactory(tenant=with_others, name="Billing")
    migrate(BEFORE)
    migrate(leaf)
    with tenant_context(with_support):
        assert DeskSettings.objects.get().fallback_team_id == support.pk
    with tenant_context(with_others):
        assert DeskSettings.objects.get().fallback_team_id == first.pk
    with tenant_context(without_teams):
        assert DeskSettings.objects.get().fallback_team == Team.objects.get(name="Support")
