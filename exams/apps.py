from django.apps import AppConfig


class ExamsConfig(AppConfig):
    name = "exams"
    verbose_name = "Exams"

    def ready(self) -> None:
        # What courses asks of exams without importing it (docs/ARCHITECTURE.md): the
        # completion rule, and the course home's exams; attempts whose time is up
        # are graded when the learner comes back to the course home.
        from courses.completion import completion_rule_register
        from courses.pages import page_refresh_register
        from courses.steps import step_source_register, step_state_register

        from .selectors import enrollment_requirements_met
        from .selectors.progress import attempts_state
        from .selectors.steps import exam_steps_for
        from .services.grading import course_home_attempts_close

        completion_rule_register(enrollment_requirements_met)
        # The exams as steps of a course: the course home's module cards, the
        # up-next rule of every page (courses.steps).
        step_source_register(exam_steps_for)
        # The learner's attempts, read with their enrollment (one query a page).
        step_state_register("exams", attempts_state)
        page_refresh_register("course_home", course_home_attempts_close)
        # What the learner's kept pages show moves their state version
        # (accounts.learner_state). Not the answers: the autosave writes them at
        # every choice, and no kept page shows them.
        from accounts.learner_state import learner_records_register

        from .models import Attempt, CooldownClearance

        learner_records_register(Attempt)
        learner_records_register(CooldownClearance, owner="attempt__user")
