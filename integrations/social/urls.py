"""Social channels' webhooks under /channels/social/ (composed by integrations/urls.py)."""

from django.urls import path

from integrations.social import views

urlpatterns = [
    path("<slug:slug>/", views.social_webhook, name="social_webhook"),
]
