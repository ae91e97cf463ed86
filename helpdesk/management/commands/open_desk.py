"""manage.py open_desk: an operator opens a help desk from the command line."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from helpdesk import services


class Command(BaseCommand):
    help = (
        "Open a help desk at <slug>.<BASE_DOMAIN>, set up for work (office hours, SLA policies, "
        "a Support team), and invite its first admin by mail to choose a password."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="host name label, e.g. acme for acme.<BASE_DOMAIN>")
        parser.add_argument("--name", required=True, help="the desk's name")
        parser.add_argument("--prefix", required=True, help="ticket prefix, e.g. ACME")
        parser.add_argument("--admin-email", required=True, help="the first admin's address")
        parser.add_argument("--admin-name", default="", help="the first admin's name")
        parser.add_argument("--time-zone", default="UTC", help="e.g. Europe/Berlin")
        parser.add_argument("--language", default="en", help="default language code")
        parser.add_argument(
            "--domain", action="append", default=[], help="a custom domain (repeatable)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            tenant = services.tenant_open(
                slug=options["slug"],
                name=options["name"],
                ticket_prefix=options["prefix"],
                admin_email=options["admin_email"],
                admin_name=options["admin_name"],
                time_zone=options["time_zone"],
                language=options["language"],
                domains=tuple(options["domain"]),
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(
            self.style.SUCCESS(f"Opened {tenant.name} at {tenant.url()}; invitation queued.")
        )
