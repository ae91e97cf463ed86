from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class HelpdeskConfig(AppConfig):
    """Platform: tenancy, accounts, the shared UI shell, ASGI and Celery wiring."""

    default = True
    name = "helpdesk"
    verbose_name = _("Help desk")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_delete, post_save

        from helpdesk import checks  # noqa: F401  (registers the database role check)
        from helpdesk.desk_cache import desks_changed, members_changed
        from helpdesk.middleware import session_bind
        from helpdesk.models import Domain, Membership, Tenant, User
        from helpdesk.process_cache import user_changed

        # What processes keep of users (agent pickers) reloads when a user changes.
        post_save.connect(user_changed, sender=User, dispatch_uid="people-user")
        post_delete.connect(user_changed, sender=User, dispatch_uid="people-user-del")
        # What processes keep of desks by host and of memberships (helpdesk/desk_cache.py).
        for model in (Tenant, Domain):
            uid = f"desks-{model.__name__}"
            post_save.connect(desks_changed, sender=model, dispatch_uid=uid)
            post_delete.connect(desks_changed, sender=model, dispatch_uid=f"{uid}-del")
        post_save.connect(members_changed, sender=Membership, dispatch_uid="members")
        # A login is a login on the desk it was made on (helpdesk/middleware.py).
        user_logged_in.connect(session_bind, dispatch_uid="session-desk")
        post_delete.connect(members_changed, sender=Membership, dispatch_uid="members-del")


class HelpdeskAdminConfig(admin_apps.AdminConfig):
    """Django admin, scoped to the tenant of the host it is opened on."""

    default = False
    default_site = "helpdesk.admin_site.HelpdeskAdminSite"
