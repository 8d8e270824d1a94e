"""Which interface a decision came through: web, admin, api, task, command or shell.

Services do not take it as an argument: it is a property of how the process was
entered, set once at the door (the middleware for requests, Celery's task signals for
workers, `manage.py` for commands) and read by `audit_record`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

_interface: ContextVar[str] = ContextVar("lifeline_interface", default="shell")


def current_interface() -> str:
    return _interface.get()


def enter_interface(name: str) -> Token[str]:
    return _interface.set(name)


def leave_interface(token: Token[str]) -> None:
    _interface.reset(token)


@contextmanager
def interface(name: str) -> Iterator[None]:
    token = enter_interface(name)
    try:
        yield
    finally:
        leave_interface(token)
