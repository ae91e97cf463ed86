"""The signals the platform sends, for the apps above it to act on (they may not be imported here).

`tenant_opened(sender=Tenant, tenant=Tenant)` is sent by `services.tenant_open` once the new
desk exists, inside its transaction and with the desk active (`tenant_context`): receivers give
the desk its starter set-up (calendar, SLA policies, fallback team), which commits with the desk
or not at all.
"""

from django.dispatch import Signal

tenant_opened = Signal()
