"""The agents' search over tickets, their messages, contacts and organisations."""

from tickets.search.selectors import (
    QUERY_CONFIGS,
    SEARCH_CONFIGS,
    SearchResults,
    TicketHit,
    contact_by_email,
    contact_hits,
    name_match,
    name_query,
    organization_hits,
    search_results,
    ticket_hits,
    ticket_hits_sql,
    ticket_query,
    ticket_query_sql,
)

__all__ = [
    "QUERY_CONFIGS",
    "SEARCH_CONFIGS",
    "SearchResults",
    "TicketHit",
    "contact_by_email",
    "contact_hits",
    "name_match",
    "name_query",
    "organization_hits",
    "search_results",
    "ticket_hits",
    "ticket_hits_sql",
    "ticket_query",
    "ticket_query_sql",
]
