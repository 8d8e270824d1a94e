"""The Nu HTML checker (vnu-jar from npm, run with the machine's Java) reports no
error on any learner page, as the server sends it (the pages of
tests/browser/test_pages.py, with the same records)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import Client

from tests.browser.helpers import VNU_JAR
from tests.browser.test_pages import LEARNER_PAGES, Records, records  # noqa: F401
from tests.conftest import service_missing
from tests.factories import login_with_mfa

pytestmark = pytest.mark.browser


def _checker() -> list[str]:
    java = shutil.which("java")
    if java is None:
        service_missing("Java is not installed (apt-get install default-jre-headless)")
    if not VNU_JAR.exists():
        service_missing(
            f"the Nu HTML checker is not installed ({VNU_JAR}): make test-tools"
        )
    return [java, "-Xss4m", "-jar", str(VNU_JAR)]


def _client_for(who: str | None, data: Records) -> Client:
    client = Client()
    if who == "learner":
        client.force_login(data.learner)
    elif who == "newcomer":
        client.force_login(data.card.user)
    elif who == "player":
        client.force_login(data.cases.cases.player)
    elif who == "staff":
        login_with_mfa(client, data.staff)
    return client


def test_every_learner_page_is_valid_html(records: Records, tmp_path: Path):  # noqa: F811
    command = _checker()
    pages = tmp_path / "pages"
    pages.mkdir()
    for name, page in LEARNER_PAGES.items():
        response = _client_for(page.who, records).get(page.path(records))
        assert response.status_code == page.status, f"{name}: {response.status_code}"
        (pages / f"{name}.html").write_bytes(response.content)
    result = subprocess.run(
        [*command, "--format", "json", "--exit-zero-always", str(pages)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(result.stderr or result.stdout)
    errors = [
        f"{Path(message['url']).name}:{message.get('lastLine', '?')}: "
        f"{message['message']}\n    {message.get('extract', '').strip()}"
        for message in report["messages"]
        if message["type"] == "error" or message.get("subType") == "fatal"
    ]
    assert not errors, f"{len(errors)} HTML error(s):\n" + "\n".join(errors)
