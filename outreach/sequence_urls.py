"""Sequence pages, included into outreach.urls (names in the "outreach" namespace)."""

from django.urls import path

from outreach.views import sequence_messages as message_views
from outreach.views import sequences as views

urlpatterns = [
    path("sequences/", views.sequence_list, name="sequences"),
    path("sequences/new/", views.sequence_builder, name="sequence_new"),
    path("sequences/enroll/", views.enroll_page, name="enroll"),
    path("sequences/<int:pk>/", views.sequence_detail, name="sequence"),
    path("sequences/<int:pk>/edit/", views.sequence_builder, name="sequence_edit"),
    path("sequences/<int:pk>/pause/", views.sequence_pause_view, name="sequence_pause"),
    path("sequences/<int:pk>/resume/", views.sequence_resume_view, name="sequence_resume"),
    path("sequences/<int:pk>/clone/", views.sequence_clone_view, name="sequence_clone"),
    path("enrollments/<int:pk>/<str:action>/", message_views.enrollment_action, name="enrollment_action"),
    path("leads/<int:pk>/sequences/", message_views.lead_sequences, name="lead_sequences"),
    path("messages/uncertain/", message_views.uncertain_messages, name="messages_uncertain"),
    path("messages/<int:pk>/", message_views.message_detail, name="message"),
    path("messages/<int:pk>/mark-sent/", message_views.message_mark_sent_view, name="message_mark_sent"),
    path("messages/<int:pk>/review/", message_views.message_review, name="message_review"),
]
