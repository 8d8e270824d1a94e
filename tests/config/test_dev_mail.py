"""Development e-mail: what `make run` prints for a message can be copied as is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.config.test_health_and_settings import _environment_without_project_settings

ROOT = Path(__file__).resolve().parents[2]
LINK = (
    "http://127.0.0.1:8000/accounts/confirm-email/"
    "MQ:1vQxYz:AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCdEfGhIjKlMnOp/?next=%2Fcourses%2Fbls%2F"
)
SEND = f"""
from django.core.mail import EmailMultiAlternatives
message = EmailMultiAlternatives(
    "Confirm your e-mail address",
    "Hello José,\\n\\nConfirm your address: {LINK}\\n",
    to=["jose@example.org"],
)
message.attach_alternative("<p>Confirm: <a href='{LINK}'>link</a></p>", "text/html")
message.send()
"""


def _send_with(tmp_path: Path, **env_vars: str) -> str:
    env = _environment_without_project_settings()
    env.update(DATABASE_URL=f"sqlite:///{tmp_path}/mail.sqlite3", **env_vars)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SEND],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_make_run_prints_each_link_whole_on_one_line(tmp_path):
    printed = _send_with(tmp_path, DEBUG="true")
    assert f"Confirm your address: {LINK}" in printed.splitlines()
    assert "Subject: Confirm your e-mail address" in printed
    assert "To: jose@example.org" in printed
    assert "Hello José," in printed
    assert "=3D" not in printed
    assert "[text/html version of" in printed


def test_without_debug_the_console_backend_stays_django_s_own(tmp_path):
    # check --deploy refuses it (mail.E001); its output is the encoded message.
    printed = _send_with(tmp_path, DEBUG="false", SECRET_KEY="k3y-" + "a8Zq0pLm" * 8)
    assert "Content-Type: multipart/alternative" in printed
