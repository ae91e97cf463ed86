from django.urls import path, re_path

from integrations.api import views

app_name = "api"
urlpatterns = [
    path("tickets", views.tickets, name="tickets"),
    path("tickets/<int:number>", views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:number>/replies", views.ticket_replies, name="ticket_replies"),
    path("tickets/<int:number>/status", views.ticket_status, name="ticket_status"),
    path("tickets/<int:number>/priority", views.ticket_priority, name="ticket_priority"),
    path("openapi.json", views.openapi_json, name="openapi_json"),
    # Last: every other address under /api/v1/ answers with a JSON 404, not the HTML page.
    re_path(r"^.*$", views.not_found, name="not_found"),
]
