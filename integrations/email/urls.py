"""Inbound mail webhooks of the email providers whose signatures anymail checks without extras.

Amazon SES, Postal and Resend need further packages (boto3, cryptography, svix); add their
views here together with the package when a deployment uses one of them.
"""

import logging
from typing import Any

from anymail.exceptions import AnymailConfigurationError
from anymail.webhooks.brevo import BrevoInboundWebhookView
from anymail.webhooks.mailersend import MailerSendInboundWebhookView
from anymail.webhooks.mailgun import MailgunInboundWebhookView
from anymail.webhooks.mailjet import MailjetInboundWebhookView
from anymail.webhooks.mailtrap import MailtrapInboundWebhookView
from anymail.webhooks.postmark import PostmarkInboundWebhookView
from anymail.webhooks.sendgrid import SendGridInboundWebhookView
from anymail.webhooks.sparkpost import SparkPostInboundWebhookView
from django.http import HttpRequest, HttpResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

logger = logging.getLogger(__name__)


def configured(view_class: type) -> Any:
    """The provider's view, or a plain 404 while the deployment has not configured it."""
    view = view_class.as_view()

    @csrf_exempt  # providers sign their posts; they carry no CSRF token
    def provider(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except AnymailConfigurationError as error:
            logger.warning("inbound webhook %s refused: %s", request.path, error)
            return HttpResponse(status=404)

    return provider


app_name = "anymail"
urlpatterns = [
    path("brevo/inbound/", configured(BrevoInboundWebhookView), name="brevo_inbound_webhook"),
    path(
        "mailersend/inbound/",
        configured(MailerSendInboundWebhookView),
        name="mailersend_inbound_webhook",
    ),
    # Mailgun posts parsed fields to .../inbound/ and the raw MIME to .../inbound_mime/.
    re_path(
        r"^mailgun/inbound(_mime)?/$",
        configured(MailgunInboundWebhookView),
        name="mailgun_inbound_webhook",
    ),
    path("mailjet/inbound/", configured(MailjetInboundWebhookView), name="mailjet_inbound_webhook"),
    path(
        "mailtrap/inbound/", configured(MailtrapInboundWebhookView), name="mailtrap_inbound_webhook"
    ),
    path(
        "postmark/inbound/", configured(PostmarkInboundWebhookView), name="postmark_inbound_webhook"
    ),
    path(
        "sendgrid/inbound/", configured(SendGridInboundWebhookView), name="sendgrid_inbound_webhook"
    ),
    path(
        "sparkpost/inbound/",
        configured(SparkPostInboundWebhookView),
        name="sparkpost_inbound_webhook",
    ),
]
