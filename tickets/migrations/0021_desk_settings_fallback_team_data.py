"""Each existing desk gets its fallback team (in its own migration: the settings table's keys,
created at the end of the previous one, must exist before rows go in)."""

from django.db import migrations


def fallback_team_for_every_desk(apps, schema_editor):
    """Each existing desk's fallback team: its team called Support, else one with "support" in
    its name, else its oldest team, else a new team "Support"; tenant by tenant (RLS)."""
    tenant_ids = list(apps.get_model("helpdesk", "Tenant").objects.values_list("pk", flat=True))
    with schema_editor.connection.cursor() as cursor:
        for tenant_id in tenant_ids:
            cursor.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant_id)])
            cursor.execute(
                "SELECT id FROM tickets_team WHERE tenant_id = %s"
                " ORDER BY lower(name) <> 'support', name NOT ILIKE '%%support%%', id LIMIT 1",
                [tenant_id],
            )
            row = cursor.fetchone()
            if row is None:
                cursor.execute(
                    "INSERT INTO tickets_team (tenant_id, name, department, description,"
                    " assignment_strategy, is_private) VALUES (%s, 'Support', '', '', 'manual',"
                    " false) RETURNING id",
                    [tenant_id],
                )
                row = cursor.fetchone()
            cursor.execute(
                "INSERT INTO tickets_desksettings (tenant_id, fallback_team_id) VALUES (%s, %s)",
                [tenant_id, row[0]],
            )
        cursor.execute("SELECT set_config('app.tenant_id', '', true)")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0020_desk_settings_fallback_team"),
    ]

    operations = [
        migrations.RunPython(fallback_team_for_every_desk, migrations.RunPython.noop),
    ]
