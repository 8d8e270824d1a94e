"""Apps depend one way: the import-layer contract (docs/ARCHITECTURE.md, "Layers and
events") holds. It is the contract in pyproject.toml [tool.importlinter], checked by
import-linter's own command, as `make lint` runs it; a failure lists the broken
imports (module -> module, line)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOWER = ["exams", "certificates", "courses", "accounts", "audit", "core"]


def _lint_imports(*config_files: Path) -> subprocess.CompletedProcess:
    code = (
        "import sys; from importlinter.cli import lint_imports_command; "
        "sys.exit(lint_imports_command())"
    )
    return subprocess.run(
        [sys.executable, "-c", code, "--no-cache", *map(str, config_files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _broken(result: subprocess.CompletedProcess) -> str:
    """The part of the report that names the broken imports."""
    out = result.stdout + result.stderr
    start = out.find("Broken contracts")
    return out[start:] if start >= 0 else out


def test_apps_depend_one_way():
    result = _lint_imports()
    assert result.returncode == 0, "Imports against the layers:\n" + _broken(result)
    assert "1 kept, 0 broken" in result.stdout


def test_nothing_below_the_curriculum_imports_it_and_it_does_not_import_config(
    tmp_path,
):
    # The curriculum's own place in the layers, held on its own.
    config = tmp_path / "curriculum.ini"
    config.write_text(
        "[importlinter]\n"
        f"root_packages =\n    config\n    curriculum\n    {'\n    '.join(LOWER)}\n"
        "\n[importlinter:contract:below]\n"
        "name = Nothing below the curriculum imports it\n"
        "type = forbidden\n"
        f"source_modules =\n    {'\n    '.join(LOWER)}\n"
        "forbidden_modules =\n    curriculum\n"
        "\n[importlinter:contract:config]\n"
        "name = The curriculum does not import config\n"
        "type = forbidden\n"
        "source_modules =\n    curriculum\n"
        "forbidden_modules =\n    config\n"
    )
    result = _lint_imports(config)
    assert result.returncode == 0, "Imports of the curriculum:\n" + _broken(result)
    assert "2 kept, 0 broken" in result.stdout


# Templates are code the import check cannot see: a template of an app loads tag
# libraries of its own layer or below, never of an app above it.
LAYERS = ["config", "curriculum", *LOWER]
LOAD_TAG = re.compile(r"{%\s*load\s+([^%]+?)\s*%}")


def test_templates_load_no_tag_library_of_a_higher_app():
    libraries = {
        path.stem: app
        for app in LAYERS
        for path in (ROOT / app).glob("templatetags/*.py")
        if path.stem != "__init__"
    }
    upward = []
    for app in LAYERS:
        for template in sorted((ROOT / "templates" / app).rglob("*.html")):
            for match in LOAD_TAG.finditer(template.read_text()):
                for name in match.group(1).split():
                    owner = libraries.get(name)
                    if owner and LAYERS.index(owner) < LAYERS.index(app):
                        upward.append(f"{template.relative_to(ROOT)} loads {name}")
    assert upward == [], "Templates loading a higher app's tags:\n" + "\n".join(upward)
