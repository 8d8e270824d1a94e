from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Case simulations"

    def ready(self) -> None:
        # What courses asks of cases without importing it (docs/ARCHITECTURE.md):
        # the required cases as steps of a course, before the final exam.
        from courses.pages import page_section_register
        from courses.steps import step_source_register, step_state_register

        from .selectors import case_steps_for, course_home_cases
        from .selectors.progress import case_attempts_state

        step_source_register(case_steps_for)
        # The learner's case attempts, read with their enrollment (one query a page).
        step_state_register("cases", case_attempts_state)
        # The course home's link to the course's case simulations.
        page_section_register("course_home", course_home_cases)
        # What the learner's kept pages show moves their state version
        # (accounts.learner_state): the case attempts, not each action's event.
        from accounts.learner_state import learner_records_register

        from .models import CaseAttempt

        learner_records_register(CaseAttempt)
