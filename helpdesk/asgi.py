"""ASGI entry point: HTTP goes to Django, WebSockets to Channels consumers."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
django_application = get_asgi_application()  # sets Django up before consumers are imported

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import re_path  # noqa: E402

from helpdesk.live import SameOriginValidator  # noqa: E402
from helpdesk.routing import websocket_urlpatterns  # noqa: E402
from tickets.channels.routing import public_websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": URLRouter(
            [
                # The chat widget runs on customers' own websites: no session, and its
                # consumer checks the desk's allowed origins instead of the same-origin rule.
                *public_websocket_urlpatterns,
                re_path(
                    r"",
                    AllowedHostsOriginValidator(
                        SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
                    ),
                ),
            ]
        ),
    }
)

# Everything made at start-up lives as long as the process. Frozen, it is left out of the
# collector's full passes, which otherwise walk it every few dozen pages: 60 ms pauses that
# were a queue page's slowest twentieth.
gc.freeze()
