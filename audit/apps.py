from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from celery.signals import task_postrun, task_prerun

        from .context import enter_interface, leave_interface

        # Everything a worker records happens in a task.
        tokens = {}

        def _task_started(task_id=None, **kwargs) -> None:
            tokens[task_id] = enter_interface("task")

        def _task_finished(task_id=None, **kwargs) -> None:
            token = tokens.pop(task_id, None)
            if token is not None:
                leave_interface(token)

        task_prerun.connect(_task_started, weak=False, dispatch_uid="audit.task_in")
        task_postrun.connect(_task_finished, weak=False, dispatch_uid="audit.task_out")
