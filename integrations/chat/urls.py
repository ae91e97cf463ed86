"""The chat's pages under /channels/chat/ (composed by integrations/urls.py)."""

from django.urls import path

from integrations.chat import views

urlpatterns = [
    path("embed/", views.chat_embed, name="chat_embed"),
]
