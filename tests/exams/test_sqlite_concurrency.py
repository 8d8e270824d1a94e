"""The embedded SQLite default under concurrent submits and autosaves.

SQLite answers "database is locked" when two connections write at once unless it
runs in WAL mode, waits for the lock (busy timeout) and takes the write lock when a
transaction begins (IMMEDIATE). The suite's own SQLite database is in memory, where
locking differs, so `sqlite_race.py` runs in a process of its own against a file in a
temporary folder, with the project's real settings; this runs in the default
`make test` (and on PostgreSQL runs too: the subprocess picks its own database).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("sqlite_race.py")
ROOT = SCRIPT.parents[2]

pytestmark = pytest.mark.sqlite_file


def test_concurrent_submits_and_autosaves_on_file_sqlite_all_succeed(tmp_path):
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DEBUG="true",
        DATABASE_URL=f"sqlite:///{tmp_path}/race.sqlite3",
        RACE_LEARNERS="8",
        RACE_SAVES="6",
    )
    result = subprocess.run(
        [sys.executable, str(SCRIPT)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["errors"] == []
    assert report["stuck_threads"] == 0
    assert report["graded"] == report["learners"] == 8
    assert report["journal_mode"] == "wal"
