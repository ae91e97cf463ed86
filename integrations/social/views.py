"""The webhook social channels post their messages to, signed, one message per call."""

from __future__ import annotations

import hashlib
import json
import logging

from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from helpdesk.tenancy import TenantRequest
from integrations.social import selectors, services, signing
from integrations.social.forms import SocialMessageForm

logger = logging.getLogger(__name__)

STATUS = {
    services.SocialResult.OPENED: 201,
    services.SocialResult.ADDED: 202,
    services.SocialResult.DUPLICATE: 200,
}


def _refuse(
    request: TenantRequest, slug: str, status: int, error: str, **extra: object
) -> JsonResponse:
    tenant = request.tenant.slug if request.tenant else "-"
    logger.warning("social webhook %s/%s refused (%s): %s", tenant, slug, status, error)
    return JsonResponse({"error": error, **extra}, status=status)


@csrf_exempt  # called by other servers, authenticated by the signature instead
@require_POST
def social_webhook(request: TenantRequest, slug: str) -> HttpResponse:
    """File one signed message from a social channel as a ticket or a reply on its thread."""
    channel = selectors.social_channel(slug=slug) if request.tenant else None
    if channel is None:
        return _refuse(request, slug, 404, "There is no enabled social channel at this address.")
    timestamp = request.headers.get("X-Helpdesk-Timestamp", "").strip()
    signature = request.headers.get("X-Helpdesk-Signature", "")
    body = request.body
    if not timestamp or not signature:
        return _refuse(
            request, slug, 401, "X-Helpdesk-Timestamp and X-Helpdesk-Signature are required."
        )
    if not signing.webhook_signature_valid(
        secret=channel.secret, timestamp=timestamp, body=body, signature=signature
    ):
        return _refuse(request, slug, 401, "The signature does not match the body.")
    if not signing.webhook_timestamp_fresh(timestamp):
        return _refuse(request, slug, 401, "The timestamp is more than 5 minutes off.")
    try:
        payload = json.loads(body)
    except ValueError:
        return _refuse(request, slug, 400, "The body is not valid JSON.")
    if not isinstance(payload, dict):
        return _refuse(request, slug, 400, "The body must be a JSON object.")
    form = SocialMessageForm.from_payload(payload)
    missing = form.missing()
    if missing:
        return _refuse(
            request, slug, 400, f"Missing fields: {', '.join(missing)}.", missing=missing
        )
    problems = form.problems()
    if problems:
        return _refuse(
            request, slug, 400, f"Invalid fields: {', '.join(problems)}.", fields=problems
        )
    data = form.cleaned_data
    # Without a message id, a replay of the very same signed call is still recognised.
    key = data["message_id"] or f"{timestamp}.{hashlib.sha256(body).hexdigest()}"
    try:
        ticket, result = services.social_message_receive(
            channel=channel,
            handle=data["handle"],
            name=data["name"],
            email=data["email"],
            text=data["text"],
            thread_id=data["thread_id"],
            key=key,
        )
    except ValidationError as error:
        return _refuse(request, slug, 400, " ".join(error.messages))
    logger.info(
        "social webhook %s/%s: %s %s (thread %s)",
        request.tenant.slug,
        slug,
        result,
        ticket.reference,
        data["thread_id"],
    )
    return JsonResponse({"ticket": ticket.reference}, status=STATUS[result])
