from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = "Courses"

    def ready(self) -> None:
        # Every save or delete of content marks the cached outline out of date
        # (courses.outline).
        from .outline import connect_signals

        connect_signals()
        # What the learner's kept pages show moves their state version
        # (accounts.learner_state).
        from accounts.learner_state import learner_records_register

        from .models import Enrollment, LessonProgress, LessonView

        learner_records_register(Enrollment)
        learner_records_register(LessonProgress, owner="enrollment__user")
        learner_records_register(LessonView, owner="enrollment__user")
