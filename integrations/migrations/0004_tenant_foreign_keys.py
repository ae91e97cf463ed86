"""Keys between this app's tenant-owned tables include the tenant (see TenantForeignKey)."""

from django.db import migrations

from helpdesk.db import TenantForeignKey


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0003_chat_and_social_from_tickets"),
        ("tickets", "0016_tenant_foreign_keys"),
    ]

    operations = [
        TenantForeignKey("socialidentity", "channel"),
        TenantForeignKey("socialidentity", "contact"),
        TenantForeignKey("socialthread", "channel"),
        TenantForeignKey("socialthread", "ticket"),
        TenantForeignKey("apiidempotencykey", "token"),
        TenantForeignKey("apiidempotencykey", "ticket"),
        TenantForeignKey("inboundemail", "ticket"),
        TenantForeignKey("inboundemail", "thread_message"),
    ]
