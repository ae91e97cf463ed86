"""Each policy's pause list and warning share move to each of its metrics (data, then drop).

In its own migration: the new tables' indexes, created at the end of the previous one, must
exist before rows go in.
"""

from django.db import migrations


def for_every_tenant(*statements):
    """A migration step running `statements` inside each tenant in turn (row-level security)."""

    def run(apps, schema_editor):
        tenants = apps.get_model("helpdesk", "Tenant").objects.values_list("pk", flat=True)
        with schema_editor.connection.cursor() as cursor:
            for tenant_id in list(tenants):
                cursor.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant_id)])
                for sql in statements:
                    cursor.execute(sql)
            cursor.execute("SELECT set_config('app.tenant_id', '', true)")
            # Check the new rows' keys now: the columns dropped next must have no checks pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    return run


OLD_METRICS = "(VALUES ('first_response'), ('next_reply'), ('resolution'), ('periodic_update'))"

# Each policy's pause list and warning share now belong to each of its metrics: the four
# metrics it had keep exactly the behaviour they had. A policy that only chose a customer
# tier becomes that tier's row of the matrix. Clocks keep the warning they gave or await.
to_metric_rules = for_every_tenant(
    f"""INSERT INTO sla_slapauserule (tenant_id, policy_id, metric, statuses)
        SELECT p.tenant_id, p.id, m.metric, p.pause_statuses
        FROM sla_slapolicy p CROSS JOIN {OLD_METRICS} AS m(metric)""",
    f"""INSERT INTO sla_slawarning (tenant_id, policy_id, metric, percent)
        SELECT p.tenant_id, p.id, m.metric, p.warn_percent
        FROM sla_slapolicy p CROSS JOIN {OLD_METRICS} AS m(metric)""",
    """UPDATE sla_slapolicy SET tier = conditions->>'value', conditions = '{}'::jsonb
       WHERE conditions->>'field' = 'customer_segment' AND conditions->>'op' = 'is'
         AND conditions->>'value' IN ('enterprise', 'premium', 'standard')
         AND (SELECT count(*) FROM jsonb_object_keys(conditions)) = 3""",
    """UPDATE sla_slaclock SET warnings_recorded = ARRAY[warn_percent::text || '%'],
           warn_at = NULL
       WHERE warned_at IS NOT NULL""",
    """UPDATE sla_slaclock SET warning = warn_percent::text || '%'
       WHERE warned_at IS NULL AND warn_at IS NOT NULL""",
)


class Migration(migrations.Migration):
    dependencies = [("sla", "0005_metrics_pauses_warnings")]

    operations = [
        migrations.RunPython(to_metric_rules, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="slaclock",
            name="warn_percent",
        ),
        migrations.RemoveField(
            model_name="slapolicy",
            name="pause_statuses",
        ),
        migrations.RemoveField(
            model_name="slapolicy",
            name="warn_percent",
        ),
    ]
