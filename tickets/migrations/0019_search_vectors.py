"""Full-text search of tickets and their messages, per language, desk first in every index.

Each ticket and each message gets a `search_vector` column that the database keeps from the
row itself with the text search configuration of its language: a ticket's subject (weight A)
and opening text (B), so a query whose words are split between the two finds it; a message's
body. A trigger keeps it rather than a generated column: adding a
stored generated column rewrites the whole message table under an exclusive lock, while a
plain column is added at once and filled here in batches, one short transaction each. Both
writers of messages (`message_add` and the one-statement intake insert) set `language` from
`message_build`, and the trigger turns it into the same vector for both.
"""

from django.contrib.postgres.operations import BtreeGinExtension
from django.db import migrations, models, transaction

BATCH = 5_000

# Language code -> PostgreSQL text search configuration; any other language: "simple" (words
# as written). Frozen here; tickets/search/selectors.py SEARCH_CONFIGS must name the same.
CONFIGS = {
    "da": "danish", "de": "german", "en": "english", "es": "spanish", "fi": "finnish",
    "fr": "french", "hu": "hungarian", "it": "italian", "nl": "dutch", "no": "norwegian",
    "nb": "norwegian", "nn": "norwegian", "pt": "portuguese", "ro": "romanian",
    "ru": "russian", "sv": "swedish", "tr": "turkish",
}  # fmt: skip

# IMMUTABLE is a promise PostgreSQL takes: true as long as these configurations are not
# redefined (they are PostgreSQL's own), and what lets the result be stored and indexed.
CONFIG_FUNCTION = """
CREATE OR REPLACE FUNCTION helpdesk_search_config(language text) RETURNS regconfig
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT (CASE lower(split_part(coalesce(language, ''), '-', 1))
    {whens}
    ELSE 'simple' END)::regconfig
$$;
""".format(
    whens="\n    ".join(f"WHEN '{code}' THEN '{config}'" for code, config in CONFIGS.items())
)

VECTORS = """
ALTER TABLE tickets_ticket ADD COLUMN search_vector tsvector;
ALTER TABLE tickets_message ADD COLUMN search_vector tsvector;

CREATE FUNCTION tickets_ticket_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_vector :=
    setweight(to_tsvector(helpdesk_search_config(NEW.language), NEW.subject), 'A')
    || setweight(to_tsvector(helpdesk_search_config(NEW.language), NEW.description), 'B');
  RETURN NEW;
END $$;
CREATE TRIGGER ticket_search_vector
  BEFORE INSERT OR UPDATE OF subject, description, language, search_vector
  ON tickets_ticket FOR EACH ROW EXECUTE FUNCTION tickets_ticket_search_vector();

CREATE FUNCTION tickets_message_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_vector := to_tsvector(helpdesk_search_config(NEW.language), NEW.body_text);
  RETURN NEW;
END $$;
CREATE TRIGGER message_search_vector
  BEFORE INSERT OR UPDATE OF body_text, language, search_vector
  ON tickets_message FOR EACH ROW EXECUTE FUNCTION tickets_message_search_vector();
"""

# Names and addresses: word by word as written, no language's stemming.
PEOPLE_VECTORS = """
ALTER TABLE tickets_contact ADD COLUMN search_vector tsvector;
ALTER TABLE tickets_organization ADD COLUMN search_vector tsvector;

CREATE FUNCTION tickets_contact_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_vector := to_tsvector('simple', NEW.name || ' ' || NEW.email);
  RETURN NEW;
END $$;
CREATE TRIGGER contact_search_vector BEFORE INSERT OR UPDATE OF name, email, search_vector
  ON tickets_contact FOR EACH ROW EXECUTE FUNCTION tickets_contact_search_vector();

CREATE FUNCTION tickets_organization_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_vector := to_tsvector('simple', NEW.name);
  RETURN NEW;
END $$;
CREATE TRIGGER organization_search_vector BEFORE INSERT OR UPDATE OF name, search_vector
  ON tickets_organization FOR EACH ROW EXECUTE FUNCTION tickets_organization_search_vector();
"""

PEOPLE_VECTORS_DROP = """
DROP TRIGGER IF EXISTS organization_search_vector ON tickets_organization;
DROP TRIGGER IF EXISTS contact_search_vector ON tickets_contact;
DROP FUNCTION IF EXISTS tickets_organization_search_vector();
DROP FUNCTION IF EXISTS tickets_contact_search_vector();
ALTER TABLE tickets_organization DROP COLUMN IF EXISTS search_vector;
ALTER TABLE tickets_contact DROP COLUMN IF EXISTS search_vector;
"""

VECTORS_DROP = """
DROP TRIGGER IF EXISTS message_search_vector ON tickets_message;
DROP TRIGGER IF EXISTS ticket_search_vector ON tickets_ticket;
DROP FUNCTION IF EXISTS tickets_message_search_vector();
DROP FUNCTION IF EXISTS tickets_ticket_search_vector();
ALTER TABLE tickets_message DROP COLUMN IF EXISTS search_vector;
ALTER TABLE tickets_ticket DROP COLUMN IF EXISTS search_vector;
"""

# One statement each: CONCURRENTLY refuses to run inside a transaction block.
INDEXES = [
    (
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {table.split('_')[1]}_search"
        f" ON {table} USING gin (tenant_id, search_vector)",
        f"DROP INDEX IF EXISTS {table.split('_')[1]}_search",
    )
    for table in ("tickets_ticket", "tickets_message", "tickets_contact", "tickets_organization")
]


def fill_vectors(apps, schema_editor):
    """Give stored tickets and messages their vectors, tenant by tenant (RLS), in batches.

    Writing a row's language (a contact's or organisation's name) fires its trigger, which
    computes the vector; a message takes its ticket's language, as new messages do.
    """
    tenant_ids = list(apps.get_model("helpdesk", "Tenant").objects.values_list("pk", flat=True))
    connection = schema_editor.connection
    for tenant_id in tenant_ids:
        for sql in (
            "UPDATE tickets_contact SET name = name"
            " WHERE id IN (SELECT id FROM tickets_contact WHERE id > %s ORDER BY id LIMIT %s)"
            " RETURNING id",
            "UPDATE tickets_organization SET name = name"
            " WHERE id IN (SELECT id FROM tickets_organization WHERE id > %s ORDER BY id LIMIT %s)"
            " RETURNING id",
            "UPDATE tickets_ticket SET language = language"
            " WHERE id IN (SELECT id FROM tickets_ticket WHERE id > %s ORDER BY id LIMIT %s)"
            " RETURNING id",
            "UPDATE tickets_message m SET language = t.language FROM tickets_ticket t"
            " WHERE t.id = m.ticket_id AND m.id IN"
            " (SELECT id FROM tickets_message WHERE id > %s ORDER BY id LIMIT %s)"
            " RETURNING m.id",
        ):
            last = 0
            while True:
                with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT set_config('app.tenant_id', %s, true)", [str(tenant_id)]
                    )
                    cursor.execute(sql, [last, BATCH])
                    ids = [row[0] for row in cursor.fetchall()]
                if not ids:
                    break
                last = max(ids)


class Migration(migrations.Migration):
    # Not one transaction: each batch commits on its own, and the indexes are built
    # CONCURRENTLY, so neither holds up new tickets on a large desk.
    atomic = False

    dependencies = [
        ("helpdesk", "0003_tenant_slug_host_label"),
        ("tickets", "0018_event_sla_replanned"),
    ]

    operations = [
        BtreeGinExtension(),  # GIN indexes that start with the desk (tenant_id)
        migrations.AddField(
            model_name="message",
            name="language",
            field=models.CharField(
                blank=True, db_default="", default="", max_length=10, verbose_name="language"
            ),
        ),
        migrations.RunSQL(CONFIG_FUNCTION, "DROP FUNCTION IF EXISTS helpdesk_search_config(text)"),
        migrations.RunSQL(VECTORS, VECTORS_DROP),
        migrations.RunSQL(PEOPLE_VECTORS, PEOPLE_VECTORS_DROP),
        migrations.RunPython(fill_vectors, migrations.RunPython.noop),
        *(migrations.RunSQL(create, drop) for create, drop in INDEXES),
    ]
