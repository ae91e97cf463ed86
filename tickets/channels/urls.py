from django.urls import path

from tickets.channels import views

app_name = "channels"
urlpatterns = [
    path("chat/embed/", views.chat_embed, name="chat_embed"),
    path("social/<slug:slug>/", views.social_webhook, name="social_webhook"),
]
