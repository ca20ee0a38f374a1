"""Twilio's webhook addresses, under /hooks/twilio/ (no login: each request is checked by its signature)."""

from django.urls import path

from outreach.twilio_hooks import sms_hook, whatsapp_hook

app_name = "twilio"

urlpatterns = [
    path("whatsapp/", whatsapp_hook, name="whatsapp"),
    path("sms/", sms_hook, name="sms"),
]
