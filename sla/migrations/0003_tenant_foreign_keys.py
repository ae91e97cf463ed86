"""Keys between this app's tenant-owned tables include the tenant (see TenantForeignKey)."""

from django.db import migrations

from helpdesk.db import TenantForeignKey


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0002_clock_running_due"),
        ("tickets", "0016_tenant_foreign_keys"),
    ]

    operations = [
        TenantForeignKey("workinghours", "calendar"),
        TenantForeignKey("holiday", "calendar"),
        TenantForeignKey("slapolicy", "calendar"),
        TenantForeignKey("slatarget", "policy"),
        TenantForeignKey("slaclock", "ticket"),
        TenantForeignKey("slaclock", "policy"),
        TenantForeignKey("slaclock", "calendar"),
    ]
