from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings
from PIL import Image

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_healthz_answers_without_touching_the_database(
    client, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_ok_when_database_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_readyz_503_when_database_unreachable(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        from django.db import OperationalError

        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "database unreachable" in response.json()["checks"]["database"]


@pytest.mark.django_db
def test_readyz_503_when_broker_unreachable(client, monkeypatch):
    # A real connection attempt to a port where nothing listens.
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert "broker unreachable" in response.json()["checks"]["broker"]


@pytest.mark.django_db
def test_readyz_checks_real_broker_when_configured(client, redis_url, monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", redis_url)
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
        response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["broker"] == "ok"


@pytest.mark.django_db
def test_readyz_workers_503_when_no_worker_answers(
    staff_client, redis_url, monkeypatch
):
    # A real broker with nobody consuming: the control-channel ping gets no reply.
    monkeypatch.setattr(celery_app.conf, "broker_url", redis_url)
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
        plain = staff_client.get("/readyz")
        with_workers = staff_client.get("/readyz?workers=1")
    assert plain.status_code == 200
    assert with_workers.status_code == 503
    assert with_workers.json()["checks"]["workers"] == "no Celery worker answered"


# --- /readyz?workers=1 holds a thread for a second: staff or a token only ----------


@pytest.mark.django_db
def test_readyz_workers_is_refused_to_anonymous_callers(client):
    refused = client.get("/readyz?workers=1")
    assert refused.status_code == 403
    assert "READYZ_TOKEN" in refused.json()["detail"]
    assert "workers" not in refused.json()
    # Plain readiness stays open to load balancers.
    plain = client.get("/readyz")
    assert plain.status_code == 200
    assert "workers" not in plain.json()["checks"]


@pytest.mark.django_db
def test_readyz_workers_is_refused_to_signed_in_learners(learner_client):
    assert learner_client.get("/readyz?workers=1").status_code == 403


@pytest.mark.django_db
def test_readyz_workers_answers_staff(staff_client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # no broker: the ping itself is skipped
    response = staff_client.get("/readyz?workers=1")
    assert response.status_code == 200
    assert response.json()["checks"]["workers"] == "ok"


@pytest.mark.django_db
def test_readyz_workers_answers_the_bearer_token(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # no broker: the ping itself is skipped
    settings.READYZ_TOKEN = "monitor-" + "x7Q" * 10
    allowed = client.get(
        "/readyz?workers=1",
        headers={"Authorization": f"Bearer {settings.READYZ_TOKEN}"},
    )
    assert allowed.status_code == 200
    assert allowed.json()["checks"]["workers"] == "ok"
    for wrong in ("Bearer monitor-", "Bearer ", f"Basic {settings.READYZ_TOKEN}"):
        response = client.get("/readyz?workers=1", headers={"Authorization": wrong})
        assert response.status_code == 403, wrong


@pytest.mark.django_db
def test_readyz_workers_refuses_an_empty_token_when_none_is_configured(
    client, settings
):
    settings.READYZ_TOKEN = ""
    response = client.get("/readyz?workers=1", headers={"Authorization": "Bearer "})
    assert response.status_code == 403


def _environment_without_project_settings() -> dict:
    # Also drops DJANGO_SETTINGS_MODULE (pytest-django sets it to the test settings),
    # so the subprocess loads config.settings exactly as production.
    names = (
        "DATABASE_URL",
        "REDIS_URL",
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DJANGO_SETTINGS_MODULE",
        "EMAIL_URL",
        "SITE_URL",
        # Set by the browser tests for Playwright's event loop; never in production.
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    )
    return {k: v for k, v in os.environ.items() if k not in names}


def _settings_in_subprocess(env: dict, expression: str) -> str:
    """Imports the settings fresh with `env`, prints `expression` evaluated on them."""
    code = f"import json, config.settings as s; print({expression})"
    clean = _environment_without_project_settings()
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_settings_read_database_redis_and_hosts_from_environment():
    out = _settings_in_subprocess(
        {
            "DEBUG": "false",
            "SECRET_KEY": "x" * 60,
            "ALLOWED_HOSTS": "lifeline.example,www.lifeline.example",
            "DATABASE_URL": "postgres://app:pw@db.internal:5433/lifeline",
            "REDIS_URL": "redis://cache.internal:6380/2",
        },
        "s.DATABASES['default']['ENGINE'], s.DATABASES['default']['HOST'], "
        "s.ALLOWED_HOSTS, s.CELERY_BROKER_URL, s.CACHES['default']['BACKEND'], "
        "'eager' if s.CELERY_TASK_ALWAYS_EAGER else 'broker', "
        "'debug' if s.DEBUG else 'production'",
    )
    assert "postgresql" in out and "db.internal" in out
    assert "['lifeline.example', 'www.lifeline.example']" in out
    assert "redis://cache.internal:6380/2" in out
    assert "RedisCache" in out
    assert out.endswith("broker production")


def test_settings_default_to_sqlite_and_eager_celery():
    out = _settings_in_subprocess(
        {"DEBUG": "true"},
        "json.dumps({'engine': s.DATABASES['default']['ENGINE'], "
        "'name': str(s.DATABASES['default']['NAME']), "
        "'eager': s.CELERY_TASK_ALWAYS_EAGER, 'broker': s.CELERY_BROKER_URL, "
        "'cache': s.CACHES['default']['BACKEND'], "
        "'mail': s.MAILERS['default']['BACKEND']})",
    )
    settings = json.loads(out)
    assert settings == {
        "engine": "django.db.backends.sqlite3",
        "name": str(ROOT / "var" / "db.sqlite3"),
        "eager": True,
        "broker": "memory://",
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        # DEBUG: the console prints readably (core/mail.py).
        "mail": "core.mail.ReadableConsoleBackend",
    }


def test_redis_clients_get_connect_and_read_timeouts():
    out = _settings_in_subprocess(
        {"DEBUG": "true", "REDIS_URL": "redis://cache.internal:6380/2"},
        "json.dumps({'cache': s.CACHES['default']['OPTIONS'], "
        "'broker': s.CELERY_BROKER_TRANSPORT_OPTIONS, "
        "'connect': s.CELERY_BROKER_CONNECTION_TIMEOUT, "
        "'publish': s.CELERY_TASK_PUBLISH_RETRY_POLICY})",
    )
    settings = json.loads(out)
    for options in (settings["cache"], settings["broker"]):
        assert 0 < options["socket_connect_timeout"] <= 2
        assert 0 < options["socket_timeout"] <= 5
    assert settings["broker"]["visibility_timeout"] > 0  # kept alongside
    assert 0 < settings["connect"] <= 2
    assert settings["publish"]["max_retries"] <= 2


def test_production_settings_refuse_to_start_without_secret_key():
    with pytest.raises(subprocess.CalledProcessError) as error:
        _settings_in_subprocess({"DEBUG": "false"}, "s.SECRET_KEY")
    assert "SECRET_KEY" in error.value.stderr


def production_issuer(tmp_path) -> dict[str, str]:
    """The issuer details production sets (certificates.E001, E002) and its own
    credential signing key (E004, E005)."""
    from certificates.signing import generate_private_key_pem

    signature = tmp_path / "signature.png"
    Image.new("LA", (300, 90), (0, 0)).save(signature)
    key = tmp_path / "credential-signing-key.pem"
    key.write_bytes(generate_private_key_pem(2048))
    return {
        "CREDENTIAL_SIGNING_KEY_FILE": str(key),
        "SITE_URL": "https://lifeline.example",
        "CERTIFICATE_ISSUER_ADDRESS": "1 Example Plaza, Springfield, IL 62701, USA",
        "CERTIFICATE_ISSUER_CONTACT": "support@lifeline.example",
        "CERTIFICATE_SIGNER_NAME": "Dr. Ada Example",
        "CERTIFICATE_SIGNER_TITLE": "Medical Director",
        "CERTIFICATE_SIGNATURE_IMAGE": str(signature),
    }


def _check(tmp_path, *args: str, **variables: str) -> subprocess.CompletedProcess:
    """`manage.py check <args>` as production runs it: DEBUG off, a real secret key,
    a host name and a database of its own, plus `variables`."""
    env = _environment_without_project_settings()
    env.update(
        DEBUG="false",
        SECRET_KEY="k3y-" + "a8Zq0pLm" * 8,
        ALLOWED_HOSTS="lifeline.example",
        DATABASE_URL=f"sqlite:///{tmp_path}/deploy.sqlite3",
    )
    env.update(variables)
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


SMTP = "smtp+tls://mailer:pw@smtp.example:587"
# Production needs a shared cache (accounts.E001); the check does not connect.
SHARED_CACHE = "redis://cache.internal:6379/0"


def test_check_deploy_refuses_development_issuer_details_and_a_local_site_url(
    tmp_path,
):
    result = _check(
        tmp_path,
        "--deploy",
        "--fail-level",
        "ERROR",
        EMAIL_URL=SMTP,
        REDIS_URL=SHARED_CACHE,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "certificates.E001" in output and "CERTIFICATE_SIGNER_NAME" in output
    assert "certificates.E002" in output and "SITE_URL" in output
    assert "certificates.E004" in output and "development key" in output


def test_a_signature_image_that_is_not_a_png_fails_every_check(tmp_path):
    fake = tmp_path / "signature.png"
    fake.write_bytes(b"GIF89a not really")
    result = _check(tmp_path, DEBUG="true", CERTIFICATE_SIGNATURE_IMAGE=str(fake))
    assert result.returncode != 0
    assert "certificates.E003" in result.stdout + result.stderr


def test_check_deploy_is_clean_with_production_variables(tmp_path):
    result = _check(
        tmp_path,
        "--deploy",
        "--fail-level",
        "WARNING",
        EMAIL_URL=SMTP,
        REDIS_URL=SHARED_CACHE,
        **production_issuer(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_requires_an_smtp_email_url(tmp_path):
    # What the README says: without EMAIL_URL the console backend fails mail.E001.
    result = _check(tmp_path, "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "mail.E001" in result.stdout + result.stderr


def test_production_responses_carry_strict_csp(client):
    response = client.get("/healthz")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


def test_templates_are_compiled_once_per_process():
    """The cached template loader (Django's default once `loaders` is unset; the
    settings must keep it so): a page's templates are read and compiled on the first
    request only (issue 19)."""
    from django.template import engines
    from django.template.loaders.cached import Loader

    engine = engines["django"].engine
    assert [type(loader) for loader in engine.template_loaders] == [Loader]
    first = engine.get_template("courses/lesson_detail.html")
    assert engine.get_template("courses/lesson_detail.html") is first
