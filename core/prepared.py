"""Querysets compiled once per process, run with new values on each call.

Most of a learner page's CPU went to the ORM turning the same few querysets into
the same SQL on every request: resolving filters and compiling them cost more than
running the query. `prepared` builds such a queryset once per database connection
alias, keeps its SQL and its compiler, and on each call runs that SQL with the
call's values in place of the example ones, through the queryset's own iterable:
model instances (with their annotations), `values()` dicts or `values_list()`
tuples, exactly as the ORM would return them.

    @prepared(user_id=int, course_id=int)
    def open_enrollments(user_id, course_id):
        return Enrollment.objects.filter(user_id=user_id, course_id=course_id)

    rows = open_enrollments(user_id=user.pk, course_id=course.pk)  # a list

Where each value goes in the SQL is found out, not assumed. The queryset is built
and compiled twice, with two different made-up values for every parameter. The two
SQL strings must be identical. Every query parameter that differs between them must
be one declared parameter's made-up value in both: as given, or as the backend
adapts a date or a date-time. Every parameter that does not differ is a constant of
the query. Anything else is refused with PreparedQueryError the first time the
query is used, before it runs:
- a value the ORM transforms (`__contains` wraps it in `%`, arithmetic on it);
- a value written into the SQL itself (slicing: LIMIT and OFFSET are literals);
- a declared parameter that the query does not use;
- a clock reading that lands in a query parameter (it differs between the builds).

The build function must depend on its parameters only: it is called a few times,
ever, per process and database alias, and what else it reads is frozen. Not all of
that is detected: a date (`site_today()`) is the same in both builds, and a branch
on a value (`if course_id:`) takes the same way for both made-up values. A setting
is the one exception made: every kept compilation is dropped when a setting changes
(tests). Values are checked against the declared types on every call: None is
refused (`= NULL` is not `IS NULL`), so are a bool and a naive date-time (with
USE_TZ). An integer no 64-bit column can hold is answered by the ORM itself, as it
would have been (an id that no row can have matches nothing), never sent.

The database is the one the ORM would use: the build's `using()`, else the
router's, for writing when the query locks rows (`select_for_update`, with the
ORM's refusal outside a transaction); one compilation is kept per database.

`select_related` works as in the ORM. `prefetch_related` is allowed but gains
nothing (the prefetch queries compile as usual). There is no `.get()`, `.first()`
or `.exists()`: each call returns a list.
"""

from __future__ import annotations

import copy
import datetime
import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.core.signals import setting_changed
from django.db import connections, router
from django.db.models import QuerySet
from django.db.transaction import TransactionManagementError
from django.utils import timezone

__all__ = ["PreparedQuery", "PreparedQueryError", "prepared"]

ParamType = type[int] | type[str] | type[datetime.datetime] | type[datetime.date]
_SUPPORTED = (int, str, datetime.datetime, datetime.date)


class PreparedQueryError(Exception):
    """The queryset cannot be prepared: where a value goes in its SQL is unclear."""


def _examples(params: dict[str, ParamType], which: int) -> dict[str, Any]:
    """Made-up values, distinct per parameter and per compilation (`which` 0 or 1):
    the query is compiled with them, never run."""
    values = {}
    for index, (name, kind) in enumerate(params.items()):
        if kind is int:
            # Within every integer column's range, a positive small integer's
            # included: Django compiles a value out of the column's range to no
            # query at all. Any two distinct values serve: a constant of the query
            # is the same in both builds, so it is never taken for a value.
            values[name] = (12_011, 23_017)[which] + index
        elif kind is str:
            values[name] = f"prepared-{which}-{index}-{name}"
        elif kind is datetime.datetime:
            base = datetime.datetime(2991 + which, 1, 1, tzinfo=datetime.UTC)
            values[name] = base + datetime.timedelta(seconds=index)
        elif kind is datetime.date:
            values[name] = datetime.date(2991 + which, 1, 1) + datetime.timedelta(
                days=index
            )
        else:
            raise PreparedQueryError(f"Parameter {name}: unsupported type {kind!r}.")
    return values


# How the backend may pass a value to the driver: as given, or through one of its
# operations' adapters (named, and looked up on the calling thread's connection).
_ADAPTERS: dict[ParamType, tuple[str, ...]] = {
    datetime.datetime: ("", "adapt_datetimefield_value"),
    datetime.date: ("", "adapt_datefield_value"),
}
# An integer outside this range matches no row of an integer column; the ORM says so
# without asking the database, which would refuse it (a 404, not a 500).
_INT_RANGE = (-(2**63), 2**63 - 1)


def _adapt(connection, adapter: str, value: Any) -> Any:
    return getattr(connection.ops, adapter)(value) if adapter else value


@dataclass(frozen=True)
class _Compiled:
    queryset: QuerySet
    compiler: Any  # the SQLCompiler that compiled it, its select list filled in
    sql: str
    constants: tuple  # the query's parameters, constants in place
    slots: tuple[tuple[int, str, str], ...]  # position, name, adapter


class PreparedQuery:
    """A queryset builder whose SQL is compiled once per connection alias."""

    def __init__(self, build: Callable[..., QuerySet], params: dict[str, ParamType]):
        if not params:
            raise PreparedQueryError("A prepared query needs at least one parameter.")
        self.build = build
        self.params = dict(params)
        self._compiled: dict[str, _Compiled] = {}
        self._probe: QuerySet | None = None  # one build: the model, the database
        self._lock = threading.Lock()
        functools.update_wrapper(self, build)

    def __call__(self, **values: Any) -> list:
        self._check(values)
        if not self._in_range(values):
            # The ORM's own answer (an id no row can have matches nothing).
            return list(self.build(**values))
        compiled = self._compiled_for()
        connection = connections[compiled.queryset.db]
        params = list(compiled.constants)
        for position, name, adapter in compiled.slots:
            params[position] = _adapt(connection, adapter, values[name])
        if (
            compiled.queryset.query.select_for_update
            and connection.features.has_select_for_update
            and connection.get_autocommit()
        ):
            # What the compiler checks on every compilation of such a query.
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        compiler = copy.copy(compiled.compiler)
        compiler.connection = connection
        sql = compiled.sql
        compiler.as_sql = lambda *args, **kwargs: (sql, tuple(params))
        queryset = compiled.queryset._chain()
        queryset.query.get_compiler = lambda *args, **kwargs: compiler
        return list(queryset)

    def queryset(self, **values: Any) -> QuerySet:
        """The same query as a plain queryset, compiled as usual (tests compare the
        two)."""
        self._check(values)
        return self.build(**values)

    def forget(self) -> None:
        """Drop every kept compilation (a setting the build may read changed)."""
        with self._lock:
            self._compiled = {}
            self._probe = None

    def _check(self, values: dict[str, Any]) -> None:
        if values.keys() != self.params.keys():
            raise TypeError(
                f"{self.__name__} takes {sorted(self.params)}, given {sorted(values)}."
            )
        for name, value in values.items():
            kind = self.params[name]
            if isinstance(value, bool):
                raise TypeError(f"{self.__name__}: {name} must be {kind.__name__}.")
            if kind is datetime.date and isinstance(value, datetime.datetime):
                raise TypeError(f"{self.__name__}: {name} must be a date.")
            if not isinstance(value, kind):
                raise TypeError(
                    f"{self.__name__}: {name} must be {kind.__name__}, "
                    f"not {type(value).__name__}."
                )
            if (
                kind is datetime.datetime
                and settings.USE_TZ
                and timezone.is_naive(value)
            ):
                raise TypeError(f"{self.__name__}: {name} must be time-zone aware.")

    def _in_range(self, values: dict[str, Any]) -> bool:
        low, high = _INT_RANGE
        return all(
            low <= value <= high
            for name, value in values.items()
            if self.params[name] is int
        )

    def _compiled_for(self) -> _Compiled:
        probe = self._probe
        if probe is None:
            probe = self._probe = self.build(**_examples(self.params, 0))
        # The database the ORM would use for this query: the one the build names,
        # else the router's choice (for writing when the query locks rows).
        if probe._db is not None:
            alias = probe._db
        elif probe.query.select_for_update:
            alias = router.db_for_write(probe.model)
        else:
            alias = router.db_for_read(probe.model)
        compiled = self._compiled.get(alias)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(alias) or self._compile(alias)
                self._compiled[alias] = compiled
        return compiled

    def _compile(self, alias: str) -> _Compiled:
        builds = []
        for which in (0, 1):
            queryset = self.build(**_examples(self.params, which)).using(alias)
            compiler = queryset.query.get_compiler(using=alias)
            try:
                sql, params = compiler.as_sql()
            except EmptyResultSet:
                raise PreparedQueryError(
                    f"{self.__name__}: the query matches nothing whatever the values "
                    "(or a value is outside its column's range)."
                ) from None
            builds.append((queryset, compiler, sql, tuple(params)))
        (queryset, compiler, sql, params), (_, _, other_sql, other) = builds
        name = self.__name__
        if sql != other_sql or len(params) != len(other):
            raise PreparedQueryError(
                f"{name}: the SQL depends on the values (a value written into the "
                "SQL itself, or a build that reads something else that changes)."
            )
        connection = connections[alias]
        examples = (_examples(self.params, 0), _examples(self.params, 1))
        slots, used = [], set()
        for position, (first, second) in enumerate(zip(params, other, strict=True)):
            if type(first) is type(second) and first == second:
                continue  # a constant of the query
            slot = self._slot(connection, examples, first, second)
            if slot is None:
                raise PreparedQueryError(
                    f"{name}: query parameter {position + 1} ({first!r}) is none of "
                    "the values given, or a value the ORM transformed."
                )
            slots.append((position, *slot))
            used.add(slot[0])
        unused = self.params.keys() - used
        if unused:
            raise PreparedQueryError(f"{name}: the query ignores {sorted(unused)}.")
        # Kept for every thread: each call sets the calling thread's connection.
        compiler.connection = None
        return _Compiled(queryset, compiler, sql, params, tuple(slots))

    def _slot(self, connection, examples, first, second):
        for param, kind in self.params.items():
            for adapter in _ADAPTERS.get(kind, ("",)):
                if (
                    _adapt(connection, adapter, examples[0][param]) == first
                    and _adapt(connection, adapter, examples[1][param]) == second
                ):
                    return param, adapter
        return None


def prepared(**params: ParamType) -> Callable[[Callable[..., QuerySet]], PreparedQuery]:
    """Decorator: the queryset the function builds, compiled once per connection
    alias (module docstring). `params` names each parameter with its type: int,
    str, datetime.datetime or datetime.date."""
    for name, kind in params.items():
        if kind not in _SUPPORTED:
            raise PreparedQueryError(f"Parameter {name}: unsupported type {kind!r}.")

    def decorate(build: Callable[..., QuerySet]) -> PreparedQuery:
        query = PreparedQuery(build, params)
        _registry.append(query)
        return query

    return decorate


_registry: list[PreparedQuery] = []


def _forget_all(**kwargs) -> None:
    for query in _registry:
        query.forget()


setting_changed.connect(_forget_all, dispatch_uid="core.prepared.forget")
