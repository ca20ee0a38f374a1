from django.apps import AppConfig


class LeadflowConfig(AppConfig):
    name = "leadflow"

    def ready(self) -> None:
        from django_q.signals import pre_enqueue, pre_execute

        from leadflow.request_ids import request_id_from_task, request_id_onto_task

        pre_enqueue.connect(request_id_onto_task, dispatch_uid="leadflow.request_id_onto_task")
        pre_execute.connect(request_id_from_task, dispatch_uid="leadflow.request_id_from_task")
