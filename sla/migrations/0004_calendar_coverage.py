"""A calendar's "24/7" becomes one of three coverages; 24/7 now counts holidays too.

Calendars marked 24/7 keep that name, and with it the meaning the issue gives it: every minute,
holidays included ("24 hours on working days" is the new choice for closing on holidays).
"""

from django.db import migrations, models


def for_every_tenant(sql):
    """A migration step running `sql` inside each tenant in turn (row-level security)."""

    def run(apps, schema_editor):
        tenants = apps.get_model("helpdesk", "Tenant").objects.values_list("pk", flat=True)
        with schema_editor.connection.cursor() as cursor:
            for tenant_id in list(tenants):
                cursor.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant_id)])
                cursor.execute(sql)
            cursor.execute("SELECT set_config('app.tenant_id', '', true)")

    return run


# 24/7 calendars get the 24/7 coverage; backwards, any around-the-clock one is always open.
always_open_to_coverage = for_every_tenant(
    "UPDATE sla_businesscalendar SET coverage = 'always' WHERE always_open"
)
coverage_to_always_open = for_every_tenant(
    "UPDATE sla_businesscalendar SET always_open = coverage <> 'hours'"
)


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk", "0003_tenant_slug_host_label"),
        ("sla", "0003_tenant_foreign_keys"),
    ]

    operations = [
        migrations.AddField(
            model_name="businesscalendar",
            name="coverage",
            field=models.CharField(
                choices=[
                    ("hours", "The working hours below"),
                    ("always", "24/7: every minute, holidays included"),
                    ("days", "24 hours on working days (closed on holidays)"),
                ],
                default="hours",
                max_length=6,
                verbose_name="open",
            ),
        ),
        migrations.RunPython(always_open_to_coverage, coverage_to_always_open),
        migrations.RemoveField(model_name="businesscalendar", name="always_open"),
    ]
