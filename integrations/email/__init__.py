"""Inbound e-mail: from a provider's webhook (`urls`, `webhooks`) or a desk's IMAP mailbox (`imap`,
`mailboxes`) into tickets (`inbound`), with automatic answers to the senders (`answers`).

`parsing`, `quotes` and `imap` read and fetch raw messages and touch no database. `inbound` keeps
every message raw first, then reaches tickets only through `tickets.services` and
`tickets.selectors`.
"""
