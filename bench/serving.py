"""What the throughput benchmarks share (bench_api.py, bench_pages.py): a gunicorn
server on the loopback, a load client, the workers' CPU time from /proc, medians.

The server runs config.wsgi with the production settings (DEBUG off) and sync
workers, as the Procfile runs them. The load client is `wrk` when the machine has it
(Debian's package: little CPU of its own, which matters on a 2-CPU machine where
client and server share the CPUs), else threads in this process. Every answer must
have the expected status or the run fails. CPU per request is the gunicorn workers'
user + system time over the requests: steadier than the wall clock on a shared
machine.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
TIMEOUT = 30  # seconds, per request


def loadavg() -> str:
    """The machine's load averages (1, 5, 15 minutes), as /proc/loadavg says."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(
    port: int,
    path: str,
    *,
    method: str = "GET",
    body: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def start_gunicorn(port: int, *, workers: int, env: dict[str, str]) -> subprocess.Popen:
    """gunicorn (config.wsgi, sync workers) on 127.0.0.1:port; waits for /healthz."""
    server = subprocess.Popen(  # noqa: S603 - our interpreter, gunicorn from the venv
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env={
            **os.environ,
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            **env,
        },
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if request(port, "/healthz")[0] == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not answer /healthz within 60 s")


def workers_cpu_seconds(master: int) -> float:
    """User + system CPU time of the gunicorn master's children (its workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def load_threads(
    port: int,
    path: str,
    master: int,
    *,
    requests: int,
    concurrency: int,
    method: str = "GET",
    body: str | tuple[str, ...] | None = None,
    headers: dict[str, str] | None = None,
    expect: int = 200,
) -> dict:
    """`requests` requests from `concurrency` threads in this process; a tuple of
    bodies is sent in turn."""
    bodies = _bodies(body)
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    counter = iter(range(requests))

    def work() -> None:
        while True:
            with lock:
                number = next(counter, None)
                if number is None:
                    return
            one = bodies[number % len(bodies)] if bodies else None
            start = time.perf_counter()
            status, _ = request(port, path, method=method, body=one, headers=headers)
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                if status != expect:
                    failures.append(status)

    cpu = workers_cpu_seconds(master)
    start = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    cpu = workers_cpu_seconds(master) - cpu
    if failures:
        sys.exit(f"{path}: {len(failures)} answers were not {expect} ({failures[:5]})")
    latencies.sort()
    return {
        "per_second": requests / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000,
        "cpu_ms": cpu / requests * 1000,
    }


WRK_SCRIPT = """
wrk.method = {method!r}
{headers}
local bodies = {{{bodies}}}
local sent = 0
function request()
  if #bodies == 0 then return wrk.format() end
  sent = sent + 1
  return wrk.format(nil, nil, nil, bodies[(sent % #bodies) + 1])
end
bad = 0
local threads = {{}}
function setup(thread)
  table.insert(threads, thread)
end
function response(status, headers, body)
  if status ~= {expect} then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("bad") end
  io.write(string.format("BAD %d\\n", total))
end
"""


def _bodies(body: str | tuple[str, ...] | None) -> tuple[str, ...]:
    if body is None:
        return ()
    return (body,) if isinstance(body, str) else tuple(body)


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value)
    if match is None:  # no request finished
        return 0.0
    number, unit = match.groups()
    return (
        float(number)
        * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000, "h": 3600000}[unit]
    )


def load_wrk(
    port: int,
    path: str,
    master: int,
    *,
    seconds: int,
    concurrency: int,
    method: str = "GET",
    body: str | tuple[str, ...] | None = None,
    headers: dict[str, str] | None = None,
    expect: int = 200,
) -> dict:
    """wrk for `seconds` with `concurrency` connections on one thread; a tuple of
    bodies is sent in turn."""
    header_lines = "\n".join(
        f"wrk.headers[{k!r}] = {v!r}" for k, v in (headers or {}).items()
    )
    bodies = ", ".join(repr(one) for one in _bodies(body))
    script = WRK_SCRIPT.format(
        method=method, bodies=bodies, headers=header_lines, expect=expect
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script.replace("'", '"'))
    try:
        cpu = workers_cpu_seconds(master)
        completed = subprocess.run(  # noqa: S603 - the machine's wrk
            [
                shutil.which("wrk") or "wrk",
                "-t1",
                f"-c{concurrency}",
                f"-d{max(1, seconds)}s",
                "--timeout",
                f"{TIMEOUT}s",
                "--latency",
                "-s",
                lua.name,
                f"http://127.0.0.1:{port}{path}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        cpu = workers_cpu_seconds(master) - cpu
    finally:
        os.unlink(lua.name)
    out = completed.stdout
    done = int(re.search(r"(\d+) requests in", out).group(1))
    bad = int(re.search(r"BAD (\d+)", out).group(1))
    errors = re.search(r"Socket errors: (.*)", out)
    if bad or errors:
        sys.exit(f"{path}: {bad} answers were not {expect}, or errors:\n{out}")
    return {
        "per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": _ms(re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1)),
        "p90_ms": _ms(re.search(r"^\s*90%\s+(\S+)", out, re.M).group(1)),
        "cpu_ms": cpu / max(done, 1) * 1000,
        "requests": done,
    }


def median(rounds: list[dict]) -> dict:
    return {
        key: round(statistics.median(r[key] for r in rounds), 2) for key in rounds[0]
    }
