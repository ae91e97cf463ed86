"""Keys between this app's tenant-owned tables include the tenant (see TenantForeignKey)."""

from django.db import migrations

from helpdesk.db import TenantForeignKey


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0015_acknowledgement_given_up"),
    ]

    operations = [
        TenantForeignKey("teammember", "team"),
        TenantForeignKey("category", "parent"),
        TenantForeignKey("contact", "organization"),
        TenantForeignKey("contactemail", "contact"),
        TenantForeignKey("ticket", "requester"),
        TenantForeignKey("ticket", "category"),
        TenantForeignKey("ticket", "product"),
        TenantForeignKey("ticket", "follow_up_of"),
        TenantForeignKey("ticket", "team"),
        TenantForeignKey("ticket", "merged_into"),
        TenantForeignKey("message", "ticket"),
        TenantForeignKey("message", "author_contact"),
        TenantForeignKey("attachment", "message"),
        TenantForeignKey("acknowledgement", "ticket"),
        TenantForeignKey("ticketevent", "ticket"),
        TenantForeignKey("ticketevent", "actor_contact"),
        TenantForeignKey("automationrun", "automation"),
        TenantForeignKey("automationrun", "ticket"),
        TenantForeignKey("macro", "set_team"),
    ]
