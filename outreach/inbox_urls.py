"""The inbox's addresses, at the site's root (/inbox/), in the outreach namespace."""

from django.urls import path

from outreach.views import inbox as views

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/poll/", views.inbox_poll, name="inbox_poll"),
    path("inbox/<int:pk>/", views.conversation_page, name="conversation"),
    path("inbox/<int:pk>/reply/", views.conversation_reply_view, name="conversation_reply"),
    path(
        "inbox/<int:pk>/whatsapp-template/",
        views.conversation_whatsapp_template_view,
        name="conversation_whatsapp_template",
    ),
    path("inbox/<int:pk>/compose/", views.conversation_compose, name="conversation_compose"),
    path("inbox/<int:pk>/read/", views.conversation_read, name="conversation_read"),
    path("inbox/<int:pk>/snooze/", views.conversation_snooze_view, name="conversation_snooze"),
    path("inbox/<int:pk>/assign/", views.conversation_assign_view, name="conversation_assign"),
    path("inbox/<int:pk>/stage/", views.conversation_stage, name="conversation_stage"),
    path("inbox/<int:pk>/work/", views.conversation_work, name="conversation_work"),
    path("inbox/<int:pk>/task/", views.conversation_task, name="conversation_task"),
    path("inbox/<int:pk>/note/", views.conversation_note, name="conversation_note"),
    path("inbox/<int:pk>/attachments/<int:index>/", views.conversation_attachment, name="conversation_attachment"),
    path("outreach/leads/<int:pk>/conversations/", views.lead_conversations_panel, name="lead_conversations"),
]
