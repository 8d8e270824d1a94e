"""The outside world of fault-injection tests: a private Redis and a counting SMTP sink.

- `PrivateRedis` runs its own `redis-server` on a free port, without persistence (like a
  cache-style deployment), so a test may stop, restart or kill it; the shared Redis of
  the machine is never touched.
- `SmtpSink` is a small SMTP server in a thread of the test process. It accepts every
  message and counts it the moment the message data is complete, then waits `delay`
  seconds before answering "250": a slow relay (0.2 s = 5 messages a second, shared by
  all connections) and, during the wait, exactly the window in which a real relay holds
  a message the client does not know was accepted. bench/ uses it too.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import shutil
import socket
import socketserver
import subprocess
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A throw-away redis-server (no RDB, no AOF) that a test may stop and restart."""

    def __init__(self, work_dir: Path) -> None:
        self.binary = shutil.which("redis-server")
        self.port = free_port()
        self.work_dir = work_dir
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        assert self.binary, "redis-server is not installed"
        command = [
            self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", str(self.work_dir),
            "--loglevel", "warning",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        """Stops the server the hard way (SIGKILL): whatever it held is gone."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()


class _SmtpHandler(socketserver.StreamRequestHandler):
    server: _SinkServer

    def _reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        sink = self.server.sink
        with contextlib.suppress(OSError):
            self._reply("220 sink ESMTP")
            while line := self.rfile.readline():
                verb = line[:4].decode(errors="replace").upper()
                if verb == "EHLO":
                    self._reply("250-sink")
                    self._reply("250 8BITMIME")
                elif verb == "DATA":
                    self._reply("354 end with <CRLF>.<CRLF>")
                    lines = []
                    while (data := self.rfile.readline()) not in (b".\r\n", b""):
                        lines.append(data[1:] if data.startswith(b"..") else data)
                    sink.accept(b"".join(lines))  # queued: the client may die now
                    if sink.hang_up:
                        return  # taken, but the client never hears so
                    self._reply("250 queued")
                elif verb == "QUIT":
                    self._reply("221 bye")
                    return
                elif verb == "RCPT" and (refusal := sink.refusal(line)):
                    self._reply(refusal)
                elif verb in ("HELO", "MAIL", "RCPT", "RSET", "NOOP"):
                    self._reply("250 ok")
                else:
                    self._reply("502 not implemented")


class _SinkServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    sink: SmtpSink


class SmtpSink:
    """Counts accepted messages; answers each one `delay` seconds late (one at a time
    across connections, as a rate-limited relay)."""

    def __init__(
        self, *, delay: float = 0.0, hang_up: bool = False, refuse: dict | None = None
    ) -> None:
        self.delay = delay
        self.hang_up = hang_up  # close the connection instead of answering "250"
        # Recipient local part prefix -> the reply to its RCPT, e.g.
        # {"gone": "550 5.1.1 mailbox unavailable", "busy": "450 4.2.1 try later"}.
        self.refuse = refuse or {}
        self._messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._relay = threading.Lock()
        self.holding = threading.Event()  # set while a message waits for its "250"
        self._server = _SinkServer(("127.0.0.1", 0), _SmtpHandler)
        self._server.sink = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def accept(self, raw: bytes) -> None:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self._lock:
            self._messages.append(message)
        with self._relay:
            self.holding.set()
            time.sleep(self.delay)
            self.holding.clear()

    def refusal(self, rcpt: bytes) -> str | None:
        """The reply refusing this `RCPT TO:<address>` line, if its address is one."""
        address = rcpt.decode(errors="replace").partition("<")[2]
        for prefix, reply in self.refuse.items():
            if address.startswith(prefix):
                return reply
        return None

    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return list(self._messages)

    def count(self) -> int:
        with self._lock:
            return len(self._messages)


@contextlib.contextmanager
def smtp_sink(
    *, delay: float = 0.0, hang_up: bool = False, refuse: dict | None = None
) -> Iterator[SmtpSink]:
    sink = SmtpSink(delay=delay, hang_up=hang_up, refuse=refuse).start()
    try:
        yield sink
    finally:
        sink.stop()
