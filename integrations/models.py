"""Inbound mailboxes, outgoing webhooks, chat and CRM connectors."""
