"""Inbound e-mail: parsing raw messages (`parsing`, `quotes`) and fetching them over IMAP (`imap`).

Nothing here touches the database: the ticket layer turns a `ParsedEmail` into tickets and replies.
"""
