"""The site's settings plus the bench's reference pages (bench/urls.py), for the
gunicorn server of the scale benchmark (bench_pages.py) only."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]  # noqa: F405
