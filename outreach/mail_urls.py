"""URLs of the mailboxes and message templates pages (inside the outreach namespace)."""

from django.urls import path

from outreach.views import mailboxes, message_templates

urlpatterns = [
    path("mailboxes/", mailboxes.mailbox_list, name="mailboxes"),
    path("mailboxes/new/", mailboxes.mailbox_new, name="mailbox_new"),
    path("mailboxes/<int:pk>/", mailboxes.mailbox_edit, name="mailbox_edit"),
    path("mailboxes/<int:pk>/test/", mailboxes.mailbox_test, name="mailbox_test"),
    path("message-templates/", message_templates.template_list, name="message_templates"),
    path("message-templates/new/", message_templates.template_new, name="message_template_new"),
    path("message-templates/<int:pk>/", message_templates.template_edit, name="message_template_edit"),
    path("message-templates/<int:pk>/preview/", message_templates.template_preview, name="message_template_preview"),
]
