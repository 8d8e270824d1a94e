from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = "Courses"

    def ready(self) -> None:
        # Every save or delete of content marks the cached outline out of date
        # (courses.outline).
        from .outline import connect_signals

        connect_signals()
