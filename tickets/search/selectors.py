"""The agents' search: tickets by subject and message text in their language, people, companies.

Tickets, messages, contacts and organisations carry a `search_vector` column that the
database keeps from their text (migration 0019): tickets and messages stemmed by their own
language's rules, names and addresses word by word as written. Every index starts with the
desk, so a search reads one desk's entries only.

Row-level security lets an index serve only "leakproof" conditions (ones that cannot reveal
a row of another desk through an error): PostgreSQL ships `@@` (ts_match_vq) without that
mark, and only a superuser may set it, which `python -m helpdesk.embedded ensure-role` does.
Without it every search still finds the same rows, reading the whole desk to do so.

A query is read as a web search (`"exact phrase"`, `-without`, `or`) and its last word as a
prefix (`rechn` finds "Rechnung"), in every language configuration at once: a German ticket's
"Rechnungen" was stored as `rechnung`, and the German reading of the query asks for exactly
that, while the English reading matches English tickets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from helpdesk.models import User
from helpdesk.tenancy import require_tenant_id
from tickets.models import Contact, ContactEmail, Organization, Ticket

# Language code -> PostgreSQL text search configuration, as the database's
# helpdesk_search_config() maps them (migration 0019); any other language is "simple".
SEARCH_CONFIGS = {
    "da": "danish", "de": "german", "en": "english", "es": "spanish", "fi": "finnish",
    "fr": "french", "hu": "hungarian", "it": "italian", "nl": "dutch", "no": "norwegian",
    "nb": "norwegian", "nn": "norwegian", "pt": "portuguese", "ro": "romanian",
    "ru": "russian", "sv": "swedish", "tr": "turkish",
}  # fmt: skip
QUERY_CONFIGS = (*sorted(set(SEARCH_CONFIGS.values())), "simple")

TICKET_LIMIT = 20
PEOPLE_LIMIT = 10
QUERY_MAX_LENGTH = 200
BODY_SNIPPET_SOURCE = 20_000  # characters of a message that its snippet is cut from

# A query's last word, typed to its end or not: read as a prefix. Not inside quotes, not
# after "-" (an excluded word), not the operator "or".
LAST_WORD = re.compile(r"(?:^|\s)(\w+)$")
# What a name or address query keeps of each word: no quotes or tsquery operators.
NAME_TERM = re.compile(r"[^\s'\"\\():&|!<>*]+")

# The text is HTML-escaped by PostgreSQL before the headline is cut (ts_headline would
# otherwise drop anything that looks like a tag: a "<script>" in a mail must show as text);
# its only tags are then the <mark>s around the words found.
_ESCAPED = "replace(replace(replace({}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"
_SUBJECT_OPTIONS = "HighlightAll=true, StartSel=<mark>, StopSel=</mark>"
_BODY_OPTIONS = (
    'MaxWords=28, MinWords=10, MaxFragments=2, FragmentDelimiter=" … ",'
    " StartSel=<mark>, StopSel=</mark>"
)


@dataclass(frozen=True)
class TicketHit:
    """A ticket found, with its subject and the best-matching message text highlighted."""

    ticket: Ticket
    rank: float
    subject: SafeString
    snippet: SafeString
    snippet_is_note: bool = False


@dataclass(frozen=True)
class SearchResults:
    """What one search found, grouped for the search page."""

    query: str
    tickets: list[TicketHit] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    organizations: list[Organization] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.tickets or self.contacts or self.organizations)


def ticket_query_sql(text: str) -> tuple[str, list[str]]:
    """The statement that reads `text` in every language configuration, and its parameters:
    one row per distinct reading, as tsquery text (none when no reading has a word left)."""
    text = text[:QUERY_MAX_LENGTH]
    last = LAST_WORD.search(text)
    if last and text.count('"') % 2 == 0 and last.group(1).lower() != "or":
        params = [text[: last.start(1)], f"'{last.group(1)}':*"]
        reading = "(websearch_to_tsquery('{0}', %s) && to_tsquery('{0}', %s))"
    else:
        params = [text]
        reading = "websearch_to_tsquery('{0}', %s)"
    readings = ", ".join(f"({reading.format(config)})" for config in QUERY_CONFIGS)
    sql = (
        f"SELECT DISTINCT q::text FROM (VALUES {readings}) r(q)"  # noqa: S608 - constants
        " WHERE numnode(q) > 0 ORDER BY 1"
    )
    return sql, params * len(QUERY_CONFIGS)


def ticket_query(text: str) -> str:
    """The tsquery of `text` read in every language configuration, as tsquery text ("" when
    no reading has a word left: only stop words or signs).

    Each configuration reads the query once, here; most read a word the same way, and the
    distinct readings are joined by OR. The statement that then finds the tickets gets one
    constant of a few terms, which its GIN indexes serve and its planner can estimate
    (sixteen copies of a term, one a configuration, made it read the whole desk instead).
    """
    sql, params = ticket_query_sql(text)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        distinct = [row[0] for row in cursor.fetchall()]
    return " | ".join(f"( {reading} )" for reading in distinct)


def ticket_hits_sql(
    *, query: str, hidden_teams: list[int], agent_id: int, limit: int = TICKET_LIMIT
) -> tuple[str, dict[str, object]]:
    """The statement of a ticket search for `query` (from `ticket_query`) and its parameters:
    rows of (ticket id, rank, subject highlighted, kind of the best-matching message, its
    text highlighted).

    The best message is one that matches the whole query if any does (else the closest: the
    words may be split between subject and message); only the page's tickets get headlines,
    as ts_headline reads the whole text again.
    """
    tsquery = "%(query)s::tsquery"
    params = {
        "query": query,
        "tenant": require_tenant_id(),
        "limit": limit,
        "subject_options": _SUBJECT_OPTIONS,
        "body_options": _BODY_OPTIONS,
    }
    visible = ""
    if hidden_teams:
        visible = (
            "WHERE ticket_id IN (SELECT id FROM tickets_ticket WHERE tenant_id = %(tenant)s::bigint"
            " AND (team_id IS NULL OR team_id <> ALL(%(hidden)s) OR assignee_id = %(agent)s))"
        )
        params.update(hidden=hidden_teams, agent=agent_id)
    subject = _ESCAPED.format("t.subject")
    body = _ESCAPED.format(f"left(m.body_text, {BODY_SNIPPET_SOURCE})")
    # Both halves of `hits` read a desk-first GIN index (the desk as bigint, the type the
    # index's btree_gin column compares); their union is ranked per ticket.
    sql = (
        "WITH ranked AS (SELECT ticket_id, max(rank) AS rank FROM ("  # noqa: S608 - constants
        f" SELECT t.id AS ticket_id, ts_rank(t.search_vector, {tsquery}) AS rank"
        " FROM tickets_ticket t WHERE t.tenant_id = %(tenant)s::bigint"
        f" AND t.search_vector @@ {tsquery}"
        " UNION ALL"
        f" SELECT m.ticket_id, ts_rank(m.search_vector, {tsquery})"
        " FROM tickets_message m WHERE m.tenant_id = %(tenant)s::bigint"
        f" AND m.search_vector @@ {tsquery}"
        f" ) hits {visible} GROUP BY ticket_id ORDER BY 2 DESC, 1 DESC LIMIT %(limit)s)"
        " SELECT r.ticket_id, r.rank,"
        f" ts_headline(helpdesk_search_config(t.language), {subject}, {tsquery},"
        " %(subject_options)s), best.kind, best.snippet"
        " FROM ranked r JOIN tickets_ticket t ON t.id = r.ticket_id"
        " LEFT JOIN LATERAL (SELECT m.kind,"
        f" ts_headline(helpdesk_search_config(m.language), {body}, {tsquery}, %(body_options)s)"
        " AS snippet FROM tickets_message m"
        " WHERE m.ticket_id = r.ticket_id AND m.tenant_id = %(tenant)s::bigint"
        f" ORDER BY m.search_vector @@ {tsquery} DESC, ts_rank(m.search_vector, {tsquery}) DESC,"
        " m.id LIMIT 1) best ON true"
        " ORDER BY r.rank DESC, r.ticket_id DESC"
    )
    return sql, params


def ticket_hits(
    *, text: str, hidden_teams: list[int], agent: User, limit: int = TICKET_LIMIT
) -> list[TicketHit]:
    """The desk's tickets whose subject or any message matches `text`, best first.

    A ticket's rank is that of its best match: its subject weighs most, then its opening
    text (both in the ticket's own vector), then any message's text. Tickets of
    `hidden_teams` (private teams the agent is not in) are left out unless assigned to them.
    Three queries, however many tickets are found.
    """
    query = ticket_query(text)
    if not query:
        return []
    sql, params = ticket_hits_sql(
        query=query, hidden_teams=hidden_teams, agent_id=agent.pk, limit=limit
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return []
    tickets = Ticket.objects.select_related("tenant", "requester", "team", "assignee").in_bulk(
        [row[0] for row in rows]
    )
    return [
        TicketHit(
            ticket=tickets[ticket_id],
            rank=rank,
            subject=_safe_headline(subject),
            # A message with none of the words (the subject matched) is no snippet.
            snippet=_safe_headline(snippet if snippet and "<mark>" in snippet else ""),
            snippet_is_note=kind == "note",
        )
        for ticket_id, rank, subject, kind, snippet in rows
        if ticket_id in tickets
    ]


def _safe_headline(headline: str) -> SafeString:
    """A headline made of escaped text and <mark> tags, as HTML; anything else, escaped whole
    (it cannot happen: the text was escaped before the marks were put in)."""
    if "<" in headline.replace("<mark>", "").replace("</mark>", ""):
        return escape(headline)
    return mark_safe(headline)  # noqa: S308 - escaped by PostgreSQL, see _ESCAPED


def name_query(text: str) -> str:
    """Every word of `text` as the beginning of a word of a name or address, as a "simple"
    tsquery's text ("" if no word is left)."""
    terms = NAME_TERM.findall(text[:QUERY_MAX_LENGTH])
    return " & ".join(f"'{term}':*" for term in terms)


def name_match(model: type[Contact | Organization], query: str) -> RawSQL:
    """The condition that a contact's or organisation's words match `query` (`name_query`)."""
    column = f"{model._meta.db_table}.search_vector"
    return RawSQL(  # noqa: S611 - the column name comes from the model, the query is a parameter
        f"{column} @@ to_tsquery('simple', %s)", [query], output_field=BooleanField()
    )


def contact_hits(*, text: str, limit: int = PEOPLE_LIMIT) -> list[Contact]:
    """The desk's contacts whose name or email address has words starting with those of `text`."""
    query = name_query(text)
    if not query:
        return []
    return list(
        Contact.objects.filter(name_match(Contact, query))
        .select_related("organization")
        .order_by("name", "pk")[:limit]
    )


def organization_hits(*, text: str, limit: int = PEOPLE_LIMIT) -> list[Organization]:
    """The desk's customer organisations whose name has words starting with those of `text`."""
    query = name_query(text)
    if not query:
        return []
    return list(
        Organization.objects.filter(name_match(Organization, query)).order_by("name", "pk")[:limit]
    )


def contact_by_email(*, email: str) -> Contact | None:
    """The contact one of whose addresses is `email` (any case), or None."""
    contact = Contact.objects.filter(email__iexact=email).first()
    if contact is None:
        extra = ContactEmail.objects.filter(email__iexact=email).select_related("contact").first()
        contact = extra.contact if extra else None
    return contact


def search_results(*, text: str, hidden_teams: list[int], agent: User) -> SearchResults:
    """Tickets, contacts and organisations matching `text`, each group best first."""
    text = " ".join(text.split())[:QUERY_MAX_LENGTH]
    if not text:
        return SearchResults(query="")
    return SearchResults(
        query=text,
        tickets=ticket_hits(text=text, hidden_teams=hidden_teams, agent=agent),
        contacts=contact_hits(text=text),
        organizations=organization_hits(text=text),
    )
