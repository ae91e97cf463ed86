"""Mail that could not be processed is shown to agents in the workspace, and processed again."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from helpdesk.tenancy import tenant_context
from integrations.models import InboundEmail
from tests.integrations.test_inbound_email import compose
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def failed_mail(tenant, subject: str = "Printer on fire") -> InboundEmail:
    """A kept mail as email_receive leaves one whose processing raised (a bug, a bad config)."""
    with tenant_context(tenant):
        mail = InboundEmail(
            source="imap:Support",
            sender="carol@bigbank.example",
            subject=subject,
            status=InboundEmail.Status.FAILED,
            error="OperationalError: the database went away",
        )
        mail.raw.save("message.eml", ContentFile(compose(subject=subject)), save=False)
        mail.save()
    return mail


def test_agents_see_mail_that_could_not_be_processed_with_why(acme, acme_agent_client):
    failed_mail(acme)
    page = acme_agent_client.get(reverse("mail:inbound_list"))
    assertContains(page, "Printer on fire")
    assertContains(page, "the database went away")
    assertContains(page, "Process again")


def test_the_workspace_navigation_says_how_many_mails_need_attention(acme, acme_agent_client):
    failed_mail(acme)
    failed_mail(acme, subject="Second")
    fragment = acme_agent_client.get(reverse("mail:inbound_attention"))
    assertContains(fragment, "Mail needing attention")
    assertContains(fragment, '<span class="count">2</span>', html=True)


def test_the_navigation_entry_stays_hidden_while_nothing_needs_attention(acme, acme_agent_client):
    fragment = acme_agent_client.get(reverse("mail:inbound_attention"))
    assertNotContains(fragment, "Mail needing attention")


def test_processing_a_failed_mail_again_opens_its_ticket(acme, acme_agent_client):
    mail = failed_mail(acme)
    response = acme_agent_client.post(
        reverse("mail:inbound_reprocess", args=[mail.pk]), follow=True
    )
    with tenant_context(acme):
        mail.refresh_from_db()
        [ticket] = Ticket.objects.all()
    assert mail.status == InboundEmail.Status.PROCESSED and mail.ticket_id == ticket.pk
    assert ticket.subject == "Printer on fire"
    assertContains(response, f"it is now part of ticket {ticket.reference}")


def test_a_second_click_on_process_again_files_nothing_twice(acme, acme_agent_client):
    mail = failed_mail(acme)
    url = reverse("mail:inbound_reprocess", args=[mail.pk])
    acme_agent_client.post(url)
    response = acme_agent_client.post(url, follow=True)
    assertContains(response, "This email does not need processing: it is processed.")
    with tenant_context(acme):
        assert Ticket.objects.count() == 1


def test_the_original_mail_downloads_as_a_file_never_shown_as_a_page(acme, acme_agent_client):
    mail = failed_mail(acme)
    response = acme_agent_client.get(reverse("mail:inbound_original", args=[mail.pk]))
    assert response["Content-Type"] == "message/rfc822"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"Subject: Printer on fire" in b"".join(response.streaming_content)


def test_customers_cannot_see_or_process_received_mail(acme, acme_customer_client):
    mail = failed_mail(acme)
    assert acme_customer_client.get(reverse("mail:inbound_list")).status_code == 403
    url = reverse("mail:inbound_reprocess", args=[mail.pk])
    assert acme_customer_client.post(url).status_code == 403


def test_another_desks_agent_cannot_see_or_process_this_desks_mail(acme, globex_agent_client):
    mail = failed_mail(acme)
    assertNotContains(globex_agent_client.get(reverse("mail:inbound_list")), "Printer on fire")
    url = reverse("mail:inbound_reprocess", args=[mail.pk])
    assert globex_agent_client.post(url).status_code == 404
    original = reverse("mail:inbound_original", args=[mail.pk])
    assert globex_agent_client.get(original).status_code == 404
