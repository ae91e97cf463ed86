"""The conversation channels under /channels/, as one URL namespace: "channels".

The website chat and social channels each declare their own URLs; their names are reversed as
`channels:chat_embed` and `channels:social_webhook`, as before they moved here from tickets.
"""

from django.urls import include, path

app_name = "channels"
urlpatterns = [
    path("chat/", include("integrations.chat.urls")),
    path("social/", include("integrations.social.urls")),
]
