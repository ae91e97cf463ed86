from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from helpdesk import views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/welcome/<uidb64>/<token>/",
        views.InvitationAcceptView.as_view(),
        name="invitation_accept",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("integrations.api.urls")),
    # Inbound mail webhooks of email providers, e.g. /anymail/mailgun/inbound/.
    path("anymail/", include("integrations.email.urls")),
    path("channels/", include("integrations.urls")),  # website chat, social channels
    path("workspace/mail/", include("integrations.email.workspace_urls")),
    path("", include("tickets.urls")),
    path("reports/", include("reports.urls")),
]

# Uploaded files are never served from MEDIA_ROOT, not even in development: they are
# strangers' files, reachable only through the download views, which check who asks and
# send them as attachments under a sandboxing Content-Security-Policy.
