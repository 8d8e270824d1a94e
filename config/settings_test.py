"""Settings for the test suite (pyproject.toml: DJANGO_SETTINGS_MODULE).

The production settings (`config.settings`), read from the environment exactly as
production reads them (DEBUG off unless set, security headers, DATABASE_URL, REDIS_URL),
minus what a test run cannot provide:

- a secret key: a fixed one unless SECRET_KEY is set;
- HTTPS: the test client speaks plain HTTP, so no redirect to https://;
- collected static files: served from the app and project folders instead.

Processes a test starts to behave as production (a Celery worker, `check --deploy`,
the settings tests) drop DJANGO_SETTINGS_MODULE, which pytest-django sets to this
module, so that they load `config.settings`.
"""

import os

# Set before the production settings read it (they refuse to load without a key when
# DEBUG is off). Processes the suite starts inherit it; those that test production
# settings drop it.
os.environ.setdefault("SECRET_KEY", "django-insecure-test-suite-only")

from config.settings import *  # noqa: F403

SECURE_SSL_REDIRECT = False
WHITENOISE_USE_FINDERS = True
