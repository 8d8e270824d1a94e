"""`make run` skips migrate and sync_content when nothing they depend on changed
(scripts/when-changed), and runs them again when something did."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(cwd: Path, **env_vars: str) -> bool:
    """True when the command ran (it appends a line to ran.log)."""
    env = {**os.environ, **env_vars}
    env.pop("DATABASE_URL", None)
    env.update(env_vars)
    before = (
        (cwd / "ran.log").read_text().count("\n") if (cwd / "ran.log").exists() else 0
    )
    subprocess.run(
        [
            str(ROOT / "scripts" / "when-changed"),
            "var/.stamp",
            "content",
            "--",
            "sh",
            "-c",
            "echo ran >> ran.log",
        ],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
    )
    return (cwd / "ran.log").read_text().count("\n") > before


def test_the_command_runs_once_until_something_it_depends_on_changes(tmp_path):
    (tmp_path / "content").mkdir()
    (tmp_path / "var").mkdir()
    lesson = tmp_path / "content" / "lesson.md"
    lesson.write_text("# Compressions\n")
    (tmp_path / "var" / "db.sqlite3").write_text("")

    assert _run(tmp_path)
    assert not _run(tmp_path)

    lesson.write_text("# Compressions, 100 to 120 a minute\n")
    assert _run(tmp_path)
    assert not _run(tmp_path)

    (tmp_path / "content" / "new.md").write_text("# New\n")
    assert _run(tmp_path)

    # A deleted or recreated database is loaded again.
    (tmp_path / "var" / "db.sqlite3").unlink()
    assert _run(tmp_path)
    assert not _run(tmp_path)
    shutil.copy(tmp_path / "content" / "new.md", tmp_path / "var" / "other")
    os.replace(tmp_path / "var" / "other", tmp_path / "var" / "db.sqlite3")
    assert _run(tmp_path)

    # Another database.
    assert _run(tmp_path, DATABASE_URL="postgres://127.0.0.1/other")
    assert not _run(tmp_path, DATABASE_URL="postgres://127.0.0.1/other")


def test_a_failed_command_records_nothing(tmp_path):
    (tmp_path / "content").mkdir()
    result = subprocess.run(
        [
            str(ROOT / "scripts" / "when-changed"),
            "var/.stamp",
            "content",
            "--",
            "false",
        ],
        cwd=tmp_path,
        capture_output=True,
    )
    assert result.returncode != 0
    assert not (tmp_path / "var" / ".stamp").exists()
