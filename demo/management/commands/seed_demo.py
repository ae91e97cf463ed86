"""Load the demo desks `acme` and `globex`; running it again changes nothing."""

from __future__ import annotations

import struct
import zlib
from email.message import EmailMessage
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction

from helpdesk import services
from helpdesk.models import Tenant, User
from helpdesk.tenancy import Role, tenant_context
from integrations.chat.models import ChatWidget
from integrations.email.inbound import email_receive
from integrations.models import InboundEmail
from integrations.social.models import SocialChannel
from sla import services as sla_services
from tickets import automations, macros, routing
from tickets import services as ticket_services
from tickets.models import (
    AgentProfile,
    Automation,
    Category,
    Macro,
    Organization,
    Product,
    RoutingRule,
    SavedView,
    Team,
    Ticket,
)

DESKS: dict[str, dict[str, Any]] = {
    "acme": {
        "name": "Acme Corporation",
        "prefix": "ACME",
        "time_zone": "Europe/Berlin",
        "holiday_country": "DE",
        "history": True,  # last quarter lived through, and a draft policy replayed over it
        "language": "en",
        "brand_color": "#1f4e8c",
        "teams": [
            ("L1 Support", "Support L1"),
            ("L2 Support", "Support L2"),
            ("Billing", "Billing"),
            ("DACH Support", "Support L1"),
        ],
        "fallback": "L1 Support",  # catches what no rule routes
        "staff": [
            ("alice.agent@acme.test", "Alice Agent", Role.AGENT, ["L1 Support", "DACH Support"]),
            ("bob.agent@acme.test", "Bob Agent", Role.AGENT, ["L2 Support", "Billing"]),
            (
                "maria.manager@acme.test",
                "Maria Manager",
                Role.MANAGER,
                ["L1 Support", "DACH Support"],
            ),
            ("adam.admin@acme.test", "Adam Admin", Role.ADMIN, []),
            ("sam.outsourced@support.test", "Sam Outsourced", Role.AGENT, ["L1 Support"]),
        ],
        # Who hears first of a team's trouble (SLA warnings and breaches of tickets nobody
        # owns): every team has a lead.
        "leads": {
            "L1 Support": "maria.manager@acme.test",
            "DACH Support": "maria.manager@acme.test",
            "L2 Support": "bob.agent@acme.test",
            "Billing": "bob.agent@acme.test",
        },
        # How teams assign their tickets, and how each agent takes them (availability,
        # capacity, skills, languages): the demo's queues fill and empty by themselves. Every
        # team assigns automatically, and its agents are online with room for more, so a new
        # ticket finds its owner at once.
        "strategies": {
            "L1 Support": "round_robin",
            "L2 Support": "skills",
            "Billing": "least_open",
            "DACH Support": "round_robin",
        },
        "profiles": {
            "alice.agent@acme.test": ("online", 8, ["hardware", "login"], ["en", "de"]),
            "bob.agent@acme.test": ("online", 8, ["payments api", "integrations"], ["en"]),
            "sam.outsourced@support.test": ("online", 5, [], ["en"]),
            "maria.manager@acme.test": ("offline", 2, [], ["en", "de"]),
        },
        "organizations": [
            ("BigBank AG", Organization.Tier.ENTERPRISE, "EMEA", "Finance", True),
            ("Northwind Traders", Organization.Tier.PREMIUM, "AMER", "Retail", False),
            ("Corner Shop", Organization.Tier.STANDARD, "EMEA", "Retail", False),
            ("Müller Maschinenbau GmbH", Organization.Tier.STANDARD, "EMEA", "Industry", False),
        ],
        "customers": [
            ("carol@bigbank.test", "Carol Customer", "BigBank AG"),
            ("nick@northwind.test", "Nick Northwind", "Northwind Traders"),
            ("dan@corner.test", "Dan Corner", "Corner Shop"),
            ("jonas@mueller-maschinenbau.de", "Jonas Müller", "Müller Maschinenbau GmbH"),
        ],
        # name, runs on, conditions, actions (set_team names a team of the desk)
        "rules": [
            (
                "Outage keywords are critical",
                "create",
                {
                    "any": [
                        {
                            "field": "subject",
                            "op": "matches",
                            "value": r"\b(outage|down|502|503)\b",
                        },
                        {"field": "body", "op": "matches", "value": r"\b(outage|system down)\b"},
                    ]
                },
                [
                    {"action": "set_priority", "value": "critical"},
                    {"action": "add_tags", "value": ["outage"]},
                ],
            ),
            (
                "VIP and enterprise customers get high priority",
                "create",
                {
                    "all": [
                        {
                            "any": [
                                {"field": "is_vip", "op": "is", "value": True},
                                {"field": "customer_segment", "op": "is", "value": "enterprise"},
                            ]
                        },
                        {"field": "priority", "op": "in", "value": ["low", "medium"]},
                    ]
                },
                [
                    {"action": "set_priority", "value": "high"},
                    {"action": "mark_vip", "value": True},
                ],
            ),
            (
                "German requesters to the DACH team",
                "create",
                {
                    "any": [
                        {"field": "requester_domain", "op": "ends_with", "value": ".de"},
                        {"field": "language", "op": "is", "value": "de"},
                    ]
                },
                [
                    {"action": "set_language", "value": "de"},
                    {"action": "set_team", "value": "DACH Support"},
                ],
            ),
            (
                "Invoices EU",
                "create",
                {
                    "any": [
                        {"field": "subject", "op": "matches", "value": r"invoice|rechnung"},
                        {"field": "category_path", "op": "within_tree", "value": ["Billing"]},
                    ]
                },
                [
                    {"action": "set_team", "value": "Billing"},
                    {"action": "add_tags", "value": ["billing"]},
                ],
            ),
            (
                "Outside business hours",
                "create",
                {"field": "business_hours", "op": "is", "value": "outside"},
                [{"action": "add_tags", "value": ["after-hours"]}],
            ),
            (
                "Critical tickets leave first-level support",
                "update",
                {
                    "all": [
                        {"field": "priority", "op": "is", "value": "critical"},
                        {"field": "team", "op": "is", "value": "L1 Support"},
                    ]
                },
                [{"action": "set_team", "value": "L2 Support"}],
            ),
        ],
        "tickets": [
            # requester, subject, channel, priority, team, assignee, category, product, story
            (
                "carol@bigbank.test",
                "Payment batch rejected with error 0x41",
                "email",
                "critical",
                "L2 Support",
                "bob.agent@acme.test",
                "Billing/Payments",
                "Payments API",
                "replied",
            ),
            (
                "carol@bigbank.test",
                "Need a second admin account",
                "portal",
                "medium",
                "L1 Support",
                None,
                "Technical/Login",
                "Web Shop",
                "",
            ),
            (
                "nick@northwind.test",
                "Invoice shows the wrong VAT rate",
                "email",
                "high",
                "Billing",
                None,
                "Billing/Invoices",
                "Web Shop",
                "",
            ),
            (
                "nick@northwind.test",
                "How do I export last month's orders?",
                "chat",
                "low",
                "L1 Support",
                "alice.agent@acme.test",
                "Orders",
                "Web Shop",
                "solved",
            ),
            (
                "dan@corner.test",
                "Card reader keeps disconnecting",
                "phone",
                "high",
                "L1 Support",
                None,
                "Technical/Hardware",
                "POS Terminal",
                "",
            ),
            (
                "dan@corner.test",
                "Order sync API returns 502",
                "api",
                "medium",
                "L2 Support",
                "bob.agent@acme.test",
                "Technical/Integrations",
                "Payments API",
                "noted",
            ),
            (
                "dan@corner.test",
                "Complaint on social media about delivery",
                "social",
                "medium",
                "L1 Support",
                None,
                "Orders",
                "",
                "",
            ),
            (
                "jonas@mueller-maschinenbau.de",
                "Rechnung 2026-114 doppelt abgebucht",
                "email",
                "medium",
                "L1 Support",
                None,
                "Billing/Invoices",
                "Web Shop",
                "",
            ),
        ],
    },
    "globex": {
        "name": "Globex Inc.",
        "prefix": "GLX",
        "time_zone": "America/New_York",
        "holiday_country": "US",
        "language": "en",
        "brand_color": "#2d6a4f",
        "teams": [("Service Desk", "Support L1"), ("IT", "IT")],
        "fallback": "Service Desk",  # catches what no rule routes
        "staff": [
            ("gina.agent@globex.test", "Gina Agent", Role.AGENT, ["Service Desk", "IT"]),
            ("greg.manager@globex.test", "Greg Manager", Role.MANAGER, ["Service Desk", "IT"]),
            ("gail.admin@globex.test", "Gail Admin", Role.ADMIN, []),
            ("sam.outsourced@support.test", "Sam Outsourced", Role.AGENT, ["Service Desk"]),
        ],
        "leads": {"Service Desk": "greg.manager@globex.test", "IT": "greg.manager@globex.test"},
        # IT's engineers take their tickets from the queue by hand: a ticket waiting there
        # says so ("auto-assignment is off for IT").
        "strategies": {"Service Desk": "round_robin", "IT": "manual"},
        "profiles": {
            "gina.agent@globex.test": ("online", 8, ["vpn", "access"], ["en"]),
            "sam.outsourced@support.test": ("online", 5, [], ["en"]),
        },
        "organizations": [
            ("Initech", Organization.Tier.ENTERPRISE, "AMER", "Software", True),
            ("Hooli", Organization.Tier.STANDARD, "AMER", "Software", False),
        ],
        "customers": [
            ("peter@initech.test", "Peter Initech", "Initech"),
            ("gavin@hooli.test", "Gavin Hooli", "Hooli"),
        ],
        "rules": [
            (
                "Servers down go to IT as critical",
                "create",
                {"field": "subject", "op": "matches", "value": r"\b(down|outage|unreachable)\b"},
                [
                    {"action": "set_priority", "value": "critical"},
                    {"action": "set_team", "value": "IT"},
                    {"action": "add_tags", "value": ["outage"]},
                ],
            ),
            (
                "VPN requests",
                "create",
                {"field": "subject", "op": "contains", "value": "vpn"},
                [
                    {"action": "set_team", "value": "Service Desk"},
                    {"action": "add_tags", "value": ["vpn", "access"]},
                ],
            ),
            (
                "Enterprise customers get high priority",
                "create",
                {
                    "all": [
                        {"field": "customer_segment", "op": "is", "value": "enterprise"},
                        {"field": "priority", "op": "in", "value": ["low", "medium"]},
                    ]
                },
                [{"action": "set_priority", "value": "high"}],
            ),
        ],
        "tickets": [
            (
                "peter@initech.test",
                "TPS report server is down",
                "email",
                "critical",
                "IT",
                "gina.agent@globex.test",
                "Technical/Servers",
                "Report Server",
                "replied",
            ),
            (
                "gavin@hooli.test",
                "Please reset my VPN token",
                "portal",
                "low",
                "Service Desk",
                None,
                "Technical/Access",
                "VPN",
                "",
            ),
            (
                "gavin@hooli.test",
                "Nightly backup job failed",
                "email",
                "medium",
                "IT",
                None,
                "Technical/Servers",
                "Report Server",
                "",
            ),
        ],
    },
}
OPERATOR = "ops@platform.test"
# Every desk gets these: "pending for 5 days → remind, close after 7", and a lead's alarm.
DEMO_AUTOMATIONS = [
    ("Remind after 5 days pending", {"all": [
        {"field": "status", "op": "is", "value": "pending"},
        {"field": "hours_since_status_changed", "op": "gt", "value": 120},
    ]}, [{"action": "notify_requester", "value": "Hello {requester_first_name}, we are still "
          "waiting for your answer on {ticket_reference}. Just reply to this mail."}]),
    ("Close after 7 days pending", {"all": [
        {"field": "status", "op": "is", "value": "pending"},
        {"field": "hours_since_status_changed", "op": "gt", "value": 168},
    ]}, [{"action": "add_note", "value": "Closed: no answer for 7 days."},
         {"action": "set_status", "value": "closed"}]),
    ("Unassigned high priority for 30 minutes", {"all": [
        {"field": "priority", "op": "in", "value": ["high", "critical"]},
        {"field": "assignee", "op": "is_empty"},
        {"field": "hours_since_created", "op": "gt", "value": 0.5},
    ]}, [{"action": "notify_team_lead", "value": "{ticket_reference} is high priority and "
          "nobody has taken it for 30 minutes."}]),
]  # fmt: skip
DEMO_MACROS = [
    ("Solved, please confirm", "Hello {requester_first_name},\n\nwe have fixed the problem of "
     "{ticket_reference}. If anything is still wrong, just reply.\n\n{agent_name}", "solved"),
    ("Need more information", "Hello {requester_first_name},\n\ncould you send us a screenshot "
     "and the time it happened?\n\n{agent_name}", "pending"),
]  # fmt: skip


class Command(BaseCommand):
    help = "Create the demo help desks acme and globex with people, teams and tickets."

    def handle(self, *args: Any, **options: Any) -> None:
        password = settings.DEMO_PASSWORD
        if not User.objects.filter(email=OPERATOR).exists():
            User.objects.create_superuser(OPERATOR, password, full_name="Platform Operator")
        for slug, desk in DESKS.items():
            self._seed_desk(slug, desk, password)
        self.stdout.write(self.style.SUCCESS("Demo data ready: " + ", ".join(DESKS)))

    @transaction.atomic
    def _seed_desk(self, slug: str, desk: dict[str, Any], password: str) -> None:
        tenant = Tenant.objects.filter(slug=slug).first() or services.tenant_create(
            slug=slug,
            name=desk["name"],
            ticket_prefix=desk["prefix"],
            time_zone=desk["time_zone"],
            language=desk["language"],
            brand_color=desk["brand_color"],
        )
        with tenant_context(tenant):
            strategies = desk.get("strategies", {})
            teams = {
                name: Team.objects.get_or_create(
                    name=name,
                    defaults={
                        "department": dept,
                        "assignment_strategy": strategies.get(name, Team.Strategy.MANUAL),
                    },
                )[0]
                for name, dept in desk["teams"]
            }
            routing.desk_settings_save(fallback_team=teams[desk["fallback"]])
            people: dict[str, User] = {}
            for email, name, role, team_names in desk["staff"]:
                people[email] = services.membership_grant(
                    email=email, full_name=name, role=role, password=password
                ).user
                for team_name in team_names:
                    ticket_services.team_member_add(
                        team=teams[team_name],
                        user=people[email],
                        is_lead=desk["leads"].get(team_name) == email,
                    )
            for email, (availability, capacity, skills, languages) in desk["profiles"].items():
                AgentProfile.objects.get_or_create(
                    user=people[email],
                    defaults={"availability": availability, "capacity": capacity,
                              "skills": skills, "languages": languages},
                )  # fmt: skip
            organizations = {}
            for name, tier, region, industry, vip in desk["organizations"]:
                organizations[name] = Organization.objects.get_or_create(
                    name=name,
                    defaults={"tier": tier, "region": region, "industry": industry, "is_vip": vip},
                )[0]
            contacts = {}
            for email, name, organization in desk["customers"]:
                user = services.membership_grant(
                    email=email, full_name=name, role=Role.CUSTOMER, password=password
                ).user
                contacts[email] = ticket_services.contact_for_email(
                    email=email, name=name, organization=organizations[organization], user=user
                )
            sla_services.sla_defaults_create(
                time_zone=tenant.time_zone, holiday_country=desk["holiday_country"]
            )
            self._premium_policy()
            # Channels a desk switches on: the chat widget and a messaging webhook.
            # Rules before tickets: the demo tickets show what the rules did.
            for position, (name, trigger, conditions, actions) in enumerate(desk["rules"], 1):
                if not RoutingRule.objects.filter(name=name).exists():
                    routing.routing_rule_save(
                        rule=RoutingRule(
                            name=name,
                            position=position * 10,
                            trigger=trigger,
                            conditions=_with_team_ids(conditions, teams),
                            actions=_with_team_ids(actions, teams),
                        )
                    )
            ChatWidget.objects.get_or_create(defaults={"is_enabled": True})
            SocialChannel.objects.get_or_create(
                slug="whatsapp",
                defaults={"name": "WhatsApp Business", "secret": f"demo-social-secret-{slug}"},
            )
            for row in desk["tickets"]:
                requester, subject, channel, priority, team, assignee, category, product = row[:8]
                if Ticket.objects.filter(subject=subject).exists():
                    continue
                agent = people.get(assignee) if assignee else None
                ticket = ticket_services.ticket_open(
                    requester=contacts[requester],
                    subject=subject,
                    description=f"{subject}.\n\nDemo ticket filed through the {channel} channel.",
                    channel=channel,
                    priority=priority,
                    team=teams[team],
                    assignee=agent,
                    category=_category(category),
                    product=Product.objects.get_or_create(name=product)[0] if product else None,
                )
                self._play(ticket, row[8], agent, contacts[requester])
            for position, (name, conditions, actions) in enumerate(DEMO_AUTOMATIONS):
                if not Automation.objects.filter(name=name).exists():
                    automations.automation_save(
                        automation=Automation(
                            name=name, position=position, conditions=conditions, actions=actions
                        )
                    )
            for name, body, status in DEMO_MACROS:
                if not Macro.objects.filter(name=name, owner=None).exists():
                    macros.macro_save(
                        macro=Macro(name=name, body=body, set_status=status), owner=None
                    )
            self._mail(tenant, slug, desk["customers"][0])
            if desk.get("history"):
                self._last_quarter(tenant, list(contacts.values()), people, desk["staff"])
            # Views a manager shared with the desk: the workspace shows them to every agent.
            manager = next(
                (people[email] for email, _n, role, _t in desk["staff"] if role == Role.MANAGER),
                None,
            )
            for name, filters, sort in DEMO_VIEWS:
                if manager is not None and not SavedView.objects.filter(name=name).exists():
                    ticket_services.saved_view_create(
                        owner=manager, name=name, is_shared=True, filters=filters, sort=sort
                    )

    @staticmethod
    def _mail(tenant: Tenant, slug: str, customer: tuple[str, str, str]) -> None:
        """Received mail the demo shows: a newsletter-style mail whose tracking pixel stays
        hidden until an agent loads its images (its logo, a cid: picture, shows at once), and
        a mail whose processing failed, waiting in "Mail needing attention" to be processed
        again."""
        email, name, _organization = customer
        if not InboundEmail.objects.filter(message_id=f"demo-pictures@{slug}.example").exists():
            message = _demo_mail(
                f"{name} <{email}>", tenant.reply_address, "Screenshot of the error page",
                f"demo-pictures@{slug}.example",
                "The error page looks like this. Our logo is below.",
            )  # fmt: skip
            message.add_alternative(
                "<p>The error page looks like this. Our logo is below.</p>"
                '<p><img src="cid:logo@demo" alt="Our logo"></p>'
                '<img src="https://tracker.example/open.gif?who=demo" width="1" height="1" alt="">',
                subtype="html",
            )
            message.get_payload()[1].add_related(
                DEMO_PICTURE, maintype="image", subtype="png", cid="<logo@demo>",
                filename="logo.png",
            )  # fmt: skip
            email_receive(message.as_bytes(), source="demo", tenant=tenant)
        if not InboundEmail.objects.filter(message_id=f"demo-failed@{slug}.example").exists():
            message = _demo_mail(
                f"{name} <{email}>", tenant.reply_address,
                "Invoice question (arrived while the database restarted)",
                f"demo-failed@{slug}.example", "Could you send me last month's invoice again?",
            )  # fmt: skip
            failed = InboundEmail(
                source="demo",
                message_id=f"demo-failed@{slug}.example",
                sender=email,
                subject=message["Subject"],
                status=InboundEmail.Status.FAILED,
                error="OperationalError: the database connection was lost while filing it",
            )
            failed.raw.save("message.eml", ContentFile(message.as_bytes()), save=False)
            failed.save()

    @staticmethod
    def _last_quarter(
        tenant: Tenant, contacts: list[Any], people: dict[str, User], staff: list[Any]
    ) -> None:
        """Last quarter lived through the real services at its own times (so the tickets carry
        their events and SLA clocks as the desk recorded them), and a draft policy with tighter
        targets replayed over it: the manager's SLA what-if page opens on the comparison."""
        import random
        from datetime import timedelta

        import time_machine
        from django.utils import timezone

        from reports.selectors import last_quarter
        from reports.services import replay_request
        from sla.models import SlaPolicy, SlaTarget

        if Ticket.objects.filter(subject__startswith=HISTORY_MARK).exists():
            return
        start, end = last_quarter(now=timezone.now(), time_zone=tenant.time_zone)
        agents = [people[email] for email, _name, role, _teams in staff if role == Role.AGENT]
        manager = next(people[email] for email, _n, role, _t in staff if role == Role.MANAGER)
        chance = random.Random(16)  # noqa: S311 (the same demo history on every machine)
        day, hour = start, timedelta(hours=1)
        number = 0
        while day < end - timedelta(days=1):
            day += timedelta(days=1)
            if day.weekday() >= 5 or chance.random() < 0.3:
                continue
            number += 1
            opened = day.replace(hour=chance.choice((8, 9, 10, 11, 13, 14, 15)))
            agent = chance.choice(agents)
            with time_machine.travel(opened, tick=False):
                ticket = ticket_services.ticket_open(
                    requester=chance.choice(contacts),
                    subject=f"{HISTORY_MARK}{chance.choice(HISTORY_SUBJECTS)} #{number}",
                    description="A ticket of last quarter (demo history).",
                    channel=chance.choice(("email", "portal", "phone")),
                    priority=chance.choice(("high", "medium", "medium", "low")),
                    assignee=agent,
                )
            answered = opened + hour * chance.choice((0.5, 1, 1.5, 2, 3, 5, 9, 26))
            with time_machine.travel(answered, tick=False):
                ticket_services.ticket_reply_add(
                    ticket=ticket, text="We are on it.", channel="portal", author_user=agent,
                    status="pending",
                )  # fmt: skip
            solved = answered + hour * chance.choice((4, 20, 30, 50))
            with time_machine.travel(solved, tick=False):
                ticket_services.ticket_status_change(ticket=ticket, status="solved", by=agent)
        draft = SlaPolicy.objects.create(
            name="Standard 2027", position=99, is_active=False,
        )  # fmt: skip
        for priority, response, resolution in (
            ("critical", 30, 240), ("high", 60, 480), ("medium", 120, 960), ("low", 480, 2400),
        ):  # fmt: skip
            SlaTarget.objects.create(
                policy=draft, priority=priority, first_response_minutes=response,
                resolution_minutes=resolution,
            )  # fmt: skip
        replay_request(policy=draft, start=start, end=end, by=manager)

    @staticmethod
    def _premium_policy() -> None:
        """Premium customers' row of the policy matrix, from the table new desks get too."""
        sla_services.sla_premium_policy_create()

    @staticmethod
    def _play(ticket: Ticket, story: str, agent: User | None, requester: Any) -> None:
        """Move a demo ticket along, so the demo shows replies, notes and solved tickets."""
        if not story or agent is None:
            return
        if story == "noted":
            ticket_services.ticket_note_add(
                ticket=ticket,
                author=agent,
                text="Gateway logs show timeouts. @maria.manager should we open an incident?",
            )
            return
        ticket_services.ticket_reply_add(
            ticket=ticket,
            text="Thank you, we are looking into it and will update you within the hour.",
            channel=ticket.channel,
            author_user=agent,
        )
        if story == "solved":
            ticket_services.ticket_reply_add(
                ticket=ticket, text="That worked, thanks!", channel=ticket.channel,
                author_contact=requester,
            )  # fmt: skip
            ticket_services.ticket_status_change(ticket=ticket, status="solved", by=agent)


HISTORY_MARK = "[Q] "
HISTORY_SUBJECTS = (
    "Invoice shows the wrong VAT",
    "VPN drops every hour",
    "Password reset mail not received",
    "Export to CSV times out",
    "Add a user to our account",
    "Dashboard loads slowly",
)


def _demo_mail(sender: str, to: str, subject: str, message_id: str, text: str) -> EmailMessage:
    """A plain mail as a customer's mail program would send it to the desk."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = f"<{message_id}>"
    message.set_content(text)
    return message


def _square_png(size: int, rgb: tuple[int, int, int]) -> bytes:
    """A PNG of one colour (the demo mail's logo), written out as the PNG standard says."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\0" + bytes(rgb) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


DEMO_PICTURE = _square_png(16, (31, 78, 140))

DEMO_VIEWS = [
    ("Enterprise customers", {"tier": "enterprise", "status": ["new", "open"]}, "urgent"),
    ("Critical and high", {"priority": ["critical", "high"], "status": ["new", "open"]}, "oldest"),
]


def _with_team_ids(data: Any, teams: dict[str, Team]) -> Any:
    """Conditions or actions with the team names of this file replaced by the desk's ids."""
    if isinstance(data, list):
        return [_with_team_ids(item, teams) for item in data]
    if not isinstance(data, dict):
        return data
    if (data.get("action") == "set_team" or data.get("field") == "team") and "value" in data:
        return {**data, "value": teams[data["value"]].pk}
    return {key: _with_team_ids(value, teams) for key, value in data.items()}


def _category(path: str) -> Category | None:
    """The category at `path` ("Billing/Invoices"), created with its parents."""
    parent = None
    for name in filter(None, path.split("/")):
        parent = Category.objects.get_or_create(name=name, parent=parent)[0]
    return parent
