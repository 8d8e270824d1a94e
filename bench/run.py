"""Run the benchmarks (`make bench`) and print their results as Markdown.

Five benchmarks; `BENCH_ONLY=<name>` or `BENCH_ARGS="--only <name>"` runs one:
- `certificates` (bench_certificates.py): issuing, renewal reminders, a slow relay;
- `cases` (bench_cases.py): the case simulation's action round trip;
- `organizations` (bench_organizations.py): the compliance dashboard and exports;
- `api` (bench_api.py): the verification API's throughput as a ratio to /healthz on
  one gunicorn server;
- `pages` (bench_pages.py): the scale benchmark: learner pages' throughput as ratios
  to /healthz, query counts, the exam statistics page, the admin lists, a no-change
  sync and the sweeper, over databases seeded at 1x and 100x (bench/seed.py).

The first four run each in a fresh process against a throw-away database: SQLite in a
temporary folder always, and PostgreSQL too when DATABASE_URL names one (a database
called <name>_bench is created next to it and dropped afterwards; the database
DATABASE_URL names is never touched). Media and e-mail go to a temporary folder and
to memory. `pages` needs PostgreSQL (skipped with a message otherwise): it runs over
lifeline_scale<N> beside DATABASE_URL's database for each N of BENCH_SCALES (default
"1 100"), seeding a scale whose database does not exist yet (or every scale when
BENCH_RESEED=1; 100x takes about half an hour on a loaded 2-CPU machine).
docs/BENCHMARKS.md records the figures and the machine they came from.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
SCRIPTS = {
    "certificates": BASE_DIR / "bench" / "bench_certificates.py",
    "cases": BASE_DIR / "bench" / "bench_cases.py",
    "organizations": BASE_DIR / "bench" / "bench_organizations.py",
    "api": BASE_DIR / "bench" / "bench_api.py",
    "pages": BASE_DIR / "bench" / "bench_pages.py",
}
# Over the seeded scale databases, not a throw-away one.
SCALE_SCRIPTS = {"pages"}


def _postgres_bench_url(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        return None
    name = parts.path.lstrip("/") or "lifeline"
    return urlunsplit(parts._replace(path=f"/{name}_bench"))


def _admin_sql(url: str, statement: str) -> None:
    """Runs CREATE/DROP DATABASE through the server's maintenance database."""
    import psycopg

    parts = urlsplit(url)
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(statement)


def _run(database_url: str, work_dir: Path, script: Path) -> dict:
    env = {
        **os.environ,
        "LIFELINE_BENCH": "1",
        # The organization and case benchmarks drive pages through Django's test
        # client.
        "ALLOWED_HOSTS": "testserver,127.0.0.1",
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(work_dir / "media"),
        "EMAIL_URL": "memorymail://",
        "SECRET_KEY": "bench-only-secret-key",
        "LOG_LEVEL": "WARNING",
    }
    # Tasks are called directly (no broker); the production settings (config.settings).
    # The API's server keeps REDIS_URL when there is one: its rate-limit counter lives
    # in the shared cache in production, and that round trip belongs in the figure.
    keeps_redis = script in (SCRIPTS["api"], SCRIPTS["pages"])
    dropped = ["DJANGO_SETTINGS_MODULE"] + ([] if keeps_redis else ["REDIS_URL"])
    for variable in dropped:
        env.pop(variable, None)
    completed = subprocess.run(  # noqa: S603 - our interpreter, our script
        [sys.executable, str(script)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        sys.exit(f"Benchmark failed:\n{completed.stdout}\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _report(result: dict) -> str:
    issuing, reminders = result["issuing"], result["reminders"]
    rows = [
        ("render the PDF", issuing["render"]),
        ("render + store", issuing["render_and_store"]),
        (
            "certificate_issue (row + PDF + store + e-mail)",
            issuing["certificate_issue"],
        ),
    ]
    lines = [
        f"### {result['database']}",
        "",
        "| issuing, one process | mean ms | p95 ms | CPU ms | per second |",
        "| --- | ---: | ---: | ---: | ---: |",
        *(
            f"| {label} | {r['mean_ms']} | {r['p95_ms']} | {r['cpu_ms']} "
            f"| {r['per_second']} |"
            for label, r in rows
        ),
        "",
        f"PDF size: {issuing['pdf_bytes'] / 1024:.0f} KiB; "
        f"{issuing['render']['n']} certificates per row.",
        "",
        f"| reminder run over {reminders['certificates']:,} certificates | |",
        "| --- | ---: |",
        f"| due today | {reminders['due']} |",
        f"| selection query | {reminders['selection_ms']} ms |",
        f"| first run (claims and sends every due reminder) "
        f"| {reminders['first_run_s']} s |",
        f"| per reminder sent | {reminders['per_reminder_ms']} ms |",
        f"| second run the same day (nothing left to send) "
        f"| {reminders['second_run_ms']} ms |",
        f"| seeding the data (bulk_create, not part of a run) "
        f"| {reminders['seed_s']} s |",
        "",
        *_relay_report(result["relay"]),
    ]
    return "\n".join(lines)


def _organizations_report(result: dict) -> str:
    rows = [
        ("compliance_for (the selector alone)", result["selector"]),
        ("dashboard page, first page of 50", result["dashboard"]),
        ("dashboard page, filtered, searched and sorted", result["dashboard_filtered"]),
        ("export, CSV (every member)", result["export_csv"]),
        ("export, XLSX (every member)", result["export_xlsx"]),
    ]
    return "\n".join(
        [
            f"### {result['database']}: organization of {result['members']:,} "
            f"sharing members, {result['required_courses']} required courses",
            "",
            f"{result['totals']}; the dashboard runs "
            f"{result['dashboard_queries']} queries; seeding took "
            f"{result['seed_s']} s (not part of a run).",
            "",
            "| request | median ms | p95 ms | CPU ms | runs |",
            "| --- | ---: | ---: | ---: | ---: |",
            *(
                f"| {label} | {r['median_ms']} | {r['p95_ms']} | {r['cpu_ms']} "
                f"| {r['runs']} |"
                for label, r in rows
            ),
            "",
        ]
    )


def _relay_report(relay: dict) -> list[str]:
    return [
        f"| reminder batches through a 5 messages/s relay ({relay['sample']} sent) | |",
        "| --- | ---: |",
        f"| baseline: same batches, sink answering at once | "
        f"{relay['baseline_ms']} ms/message |",
        f"| through the relay | {relay['relay_ms']} ms/message |",
        f"| ratio to the baseline | {relay['ratio_to_baseline']} |",
        f"| ratio to the relay's own floor ({relay['relay_floor_ms']:.0f} ms) "
        f"| {relay['ratio_to_floor']} |",
        f"| 10,000 reminders, extrapolated | {relay['hours_for_10000']} h |",
        "",
    ]


def _api_report(result: dict) -> str:
    healthz, api = result["healthz"], result["api"]
    rows = [
        ("`/healthz`", healthz),
        ("`GET /api/v1/certificates/{code}`", api),
    ]
    return "\n".join(
        [
            f"### API throughput, {result['database']} (cache: {result['cache']})",
            "",
            f"gunicorn, {result['workers']} sync workers; {result['concurrency']} "
            f"client threads; {result['requests']} requests per target per round, "
            f"{result['rounds']} rounds alternating, medians.",
            "",
            "| target | requests/s | p50 ms | p95 ms | server CPU ms/request |",
            "| --- | ---: | ---: | ---: | ---: |",
            *(
                f"| {label} | {r['per_second']} | {r['p50_ms']} | {r['p95_ms']} "
                f"| {r['cpu_ms']} |"
                for label, r in rows
            ),
            f"| **API / healthz** | **{result['ratio_per_second']}** | | "
            f"| {result['ratio_cpu']} |",
            "",
        ]
    )


def _cases_report(result: dict) -> str:
    rows = [
        ("ACLS sample, form post (302)", result["sample_form"]),
        ("ACLS sample, JSON (200)", result["sample_json"]),
        ("ACLS sample, service only", result["sample_service"]),
        ("200-state case, form post (302)", result["long_form"]),
        ("200-state case, JSON (200)", result["long_json"]),
        ("200-state case, service only", result["long_service"]),
        ("200-state case played to its end, form", result["long_full_form"]),
        ("200-state case played to its end, JSON", result["long_full_json"]),
        ("200-state case played to its end, service", result["long_full_service"]),
    ]
    return "\n".join(
        [
            f"### Case actions, {result['database']}",
            "",
            "| one action | actions | mean ms | median ms | p95 ms | CPU ms |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
            *(
                f"| {label} | {r['n']} | {r['mean_ms']} | {r['median_ms']} "
                f"| {r['p95_ms']} | {r['cpu_ms']} |"
                for label, r in rows
            ),
            "",
        ]
    )


def _pages_report(result: dict) -> str:
    totals = ", ".join(
        f"{v:,} {k}" if isinstance(v, int) else f"{k} {v}"
        for k, v in result["totals"].items()
    )
    throughput = result["throughput"]
    lines = [
        f"### Scale: {result['database']}",
        "",
        f"{totals} (row counts estimated by PostgreSQL). Load average "
        f"{result['load']} over the run ({result['elapsed_s']} s).",
        "",
        f"Pages: gunicorn, {result['workers']} sync workers; {throughput['client']}, "
        f"{result['concurrency']} connections, {result['seconds']} s per page per "
        f"round, {result['rounds']} rounds interleaved with /healthz, medians. "
        "Queries: one request through the test client after a warm-up.",
        "",
        "| page | requests/s | p50 ms | p90 ms | CPU ms/request | ratio to /healthz "
        "| queries |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in throughput["pages"].items():
        queries = result["queries"].get(name, "")
        lines.append(
            f"| {name} | {r['per_second']} | {r['p50_ms']} | {r['p90_ms']} "
            f"| {r['cpu_ms']} | {r['ratio']} | {queries} |"
        )
    lines += ["", "Load average per round: " + "; ".join(throughput["loads"]), ""]
    lines += [
        "| staff path (in process) | cold ms | median ms | queries "
        "| load before -> after |",
        "| --- | ---: | ---: | ---: | --- |",
    ]

    def row(label: str, r: dict) -> str:
        return (
            f"| {label} | {r['cold_ms']:,} | {r['median_ms']:,} | {r['queries']:,} "
            f"| {r['load']} |"
        )

    for label, r in result["statistics"].items():
        lines.append(row(f"statistics page: {label}", r))
    for label, r in result["admin"].items():
        if not r.get("registered", True):
            lines.append(f"| admin {label}: not in the admin | | | | |")
            continue
        lines.append(row(f"admin {label}", r["unfiltered"]))
        lines.append(row(f"admin {label} ?q={r['search_term']}", r["search"]))
    for label, r in result["sync_content"].items():
        lines.append(row(f"`sync_content`, {label}", r))
    lines.append(row("certificate sweeper (selection)", result["sweeper"]))
    lines.append("")
    return "\n".join(lines)


REPORTS = {
    "certificates": _report,
    "cases": _cases_report,
    "organizations": _organizations_report,
    "api": _api_report,
    "pages": _pages_report,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(SCRIPTS), help="one benchmark")
    args = parser.parse_args()
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {platform.system()}\n"
    )
    only = args.only or os.environ.get("BENCH_ONLY", "")
    if only and only not in SCRIPTS:
        sys.exit(f"BENCH_ONLY must be one of {', '.join(SCRIPTS)}")
    chosen = [only] if only else list(SCRIPTS)
    scaled = [name for name in chosen if name in SCALE_SCRIPTS]
    chosen = [name for name in chosen if name not in SCALE_SCRIPTS]
    with tempfile.TemporaryDirectory(prefix="lifeline-bench-") as tmp:
        work_dir = Path(tmp)
        for name in chosen:
            sqlite_url = f"sqlite:///{work_dir / f'{name}.sqlite3'}"
            print(REPORTS[name](_run(sqlite_url, work_dir, SCRIPTS[name])))
        postgres_url = _postgres_bench_url(os.environ.get("DATABASE_URL", ""))
        if postgres_url and chosen:
            name = urlsplit(postgres_url).path.lstrip("/")
            for script in chosen:
                _admin_sql(postgres_url, f'DROP DATABASE IF EXISTS "{name}"')
                _admin_sql(postgres_url, f'CREATE DATABASE "{name}"')
                try:
                    print(
                        REPORTS[script](_run(postgres_url, work_dir, SCRIPTS[script]))
                    )
                finally:
                    _admin_sql(postgres_url, f'DROP DATABASE IF EXISTS "{name}"')
        elif chosen:
            print("(Set DATABASE_URL=postgres://... to measure PostgreSQL too.)")
        for name in scaled:
            _run_scaled(name, work_dir)


def _run_scaled(name: str, work_dir: Path) -> None:
    """The scale benchmark over lifeline_scale<N> for each N of BENCH_SCALES, seeded
    first when that database does not exist (or BENCH_RESEED=1)."""
    url = os.environ.get("DATABASE_URL", "")
    if not _postgres_bench_url(url):
        print(
            f"(Skipped `{name}`: the scale benchmark needs PostgreSQL; set "
            "DATABASE_URL=postgres://... and it seeds lifeline_scale1 and "
            "lifeline_scale100 beside that database.)"
        )
        return
    from seed import scale_database_url

    for scale in os.environ.get("BENCH_SCALES", "1 100").split():
        scale_url = scale_database_url(url, float(scale))
        if os.environ.get("BENCH_RESEED") == "1" or not _database_exists(scale_url):
            subprocess.run(  # noqa: S603 - our interpreter, our script
                # Counters recounted for the exams the benchmark reads only.
                [
                    sys.executable,
                    str(BASE_DIR / "bench" / "seed.py"),
                    *("--scale", scale, "--recount", "bench"),
                ],
                cwd=BASE_DIR,
                check=True,
                stdout=sys.stderr,
            )
        print(REPORTS[name](_run(scale_url, work_dir, SCRIPTS[name])), flush=True)


def _database_exists(url: str) -> bool:
    import psycopg

    parts = urlsplit(url)
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [parts.path.lstrip("/")]
        )
        return found.fetchone() is not None


if __name__ == "__main__":
    main()
