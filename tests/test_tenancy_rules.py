"""Rules of the one tenant-scoped path that code review alone would miss."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.apps import apps

from helpdesk.tenancy import TenantOwned

ROOT = Path(__file__).resolve().parent.parent
APPS = ["tickets", "sla", "knowledge", "escalations", "integrations", "reports"]


@pytest.mark.parametrize("app", APPS)
def test_apps_never_reach_past_the_tenant_scope(app):
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and "all_tenants" in path.read_text()
    ]
    assert offenders == [], "Model.all_tenants is for helpdesk/ platform code only"


def test_every_model_with_a_tenant_is_tenant_owned():
    from helpdesk.models import Domain

    loose = [
        model.__name__
        for model in apps.get_models()
        if any(f.name == "tenant" for f in model._meta.fields)
        and not issubclass(model, TenantOwned)
        and model is not Domain
        and not model.__name__.startswith("Historical")  # fenced by RLS, reached via instances
    ]
    assert loose == []
