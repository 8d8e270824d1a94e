from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Case simulations"

    def ready(self) -> None:
        # What courses asks of cases without importing it (docs/ARCHITECTURE.md):
        # the required cases as steps of a course, before the final exam.
        from courses.steps import step_source_register

        from .selectors import case_steps_for

        step_source_register(case_steps_for)
