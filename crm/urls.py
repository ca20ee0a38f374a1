from django.urls import path

from crm.views import board, dashboard, lead_detail, leads, lists, settings_pages, tasks

app_name = "crm"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("leads/", leads.lead_list, name="leads"),
    path("leads/new/", leads.lead_new, name="lead_create"),
    path("leads/bulk/", leads.leads_bulk, name="leads_bulk"),
    path("leads/<int:pk>/", lead_detail.lead_detail, name="lead"),
    path("leads/<int:pk>/facts/", lead_detail.lead_facts, name="lead_facts"),
    path("leads/<int:pk>/notes/", lead_detail.lead_note_add, name="lead_note_add"),
    path("leads/<int:pk>/tasks/", lead_detail.lead_task_add, name="lead_task_add"),
    path("leads/<int:pk>/stage/", lead_detail.lead_stage, name="lead_stage"),
    path("leads/<int:pk>/owner/", lead_detail.lead_owner, name="lead_owner"),
    path("tasks/", tasks.my_tasks, name="tasks"),
    path("tasks/<int:pk>/complete/", tasks.task_complete, name="task_complete"),
    path("pipeline/", board.board, name="board"),
    path("pipeline/stages/<int:stage_id>/cards/", board.board_cards, name="board_cards"),
    path("pipeline/move/", board.board_move, name="board_move"),
    path("lists/", lists.list_index, name="lists"),
    path("lists/new/", lists.list_create, name="list_create"),
    path("lists/<int:pk>/edit/", lists.list_edit, name="list_edit"),
    path("lists/<int:pk>/archive/", lists.list_archive, name="list_archive"),
    path("lists/<int:pk>/remove/", lists.list_remove_members, name="list_remove_members"),
    path("settings/pipeline/", settings_pages.pipeline_settings, name="settings_pipeline"),
    path("settings/stages/<int:pk>/", settings_pages.stage_edit, name="stage_edit"),
    path("settings/stages/<int:pk>/delete/", settings_pages.stage_delete, name="stage_delete"),
    path("settings/stages/reorder/", settings_pages.stage_order_save, name="stages_reorder"),
    path("settings/users/", settings_pages.users_settings, name="settings_users"),
    path("settings/users/<int:pk>/", settings_pages.user_edit, name="user_edit"),
]
