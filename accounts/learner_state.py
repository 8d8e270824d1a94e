"""What moves a learner's state version (accounts.models.LearnerVersion): a database
trigger on every table that holds a learner's records.

Pages kept per learner (accounts.learner_pages) are keyed by the version, so the
version must move with every write that could change what they show, whichever way
the write is made: a service, the admin, a bulk `update()`, a data migration, a
shell. Only the database sees all of those, so the database moves it: after each
insert, update or delete of a row, the owning learner's counter goes up by one (a
row changing hands moves both learners').

Each app names its tables in its `AppConfig.ready()`:

    learner_records_register(Enrollment)                       # its `user` column
    learner_records_register(LessonView, owner="enrollment__user")  # one hop away
    learner_records_register(User, owner="pk")                 # the user row itself

and the triggers are (re)installed after every `migrate` (and every `flush`), for
PostgreSQL and SQLite alike, so they always follow the registered tables and their
columns; accounts 0007 installs them with the versions' table and removes them when
migrated back. A table written on every request of a hot path (the attempt's answers, at
each autosave) is deliberately not registered: no kept page shows it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import Model

from .models import LearnerVersion


@dataclass(frozen=True)
class LearnerTable:
    model: type[Model]
    # How a row names its learner: a column ("user"), one foreign key away
    # ("enrollment__user"), or the row's own key ("pk", the user table).
    owner: str


_tables: dict[str, LearnerTable] = {}


def learner_records_register(model: type[Model], owner: str = "user") -> None:
    """Moves the learner's state version on every write to `model`'s table
    (installed by the next `migrate`). Registering it again replaces the owner."""
    _owner_column(model, owner, "NEW", lambda name: name)  # refuses a bad path now
    _tables[model._meta.label] = LearnerTable(model=model, owner=owner)


def learner_tables() -> list[LearnerTable]:
    return list(_tables.values())


def _owner_column(model: type[Model], owner: str, row: str, quote) -> str:
    """SQL for the learner id of trigger row `row` (NEW or OLD)."""
    meta = model._meta
    if owner == "pk":
        return f"{row}.{quote(meta.pk.column)}"
    hops = owner.split("__")
    if len(hops) == 1:
        return f"{row}.{quote(meta.get_field(hops[0]).column)}"
    if len(hops) != 2:
        raise ValueError(f"{owner!r}: name the learner at most one key away.")
    key = meta.get_field(hops[0])
    related = key.related_model._meta
    learner = related.get_field(hops[1])
    return (
        # Names from the models' own metadata, quoted: no value is written in.
        f"(SELECT {quote(learner.column)} FROM {quote(related.db_table)} "  # noqa: S608
        f"WHERE {quote(related.pk.column)} = {row}.{quote(key.column)})"
    )


def _postgresql_function(table: LearnerTable) -> str:
    return f"learner_version_{table.model._meta.db_table}"[:63]


def _sqlite_trigger(table: LearnerTable, event: str) -> str:
    return f"learner_version_{table.model._meta.db_table}_{event.lower()}"


_EVENTS = ("INSERT", "UPDATE", "DELETE")


def _postgresql(table: LearnerTable, quote) -> list[str]:
    name = table.model._meta.db_table
    function = quote(_postgresql_function(table))
    return [
        f"""
        CREATE OR REPLACE FUNCTION {function}() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE old_learner bigint; new_learner bigint;
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                old_learner := {_owner_column(table.model, table.owner, "OLD", quote)};
            END IF;
            IF TG_OP <> 'DELETE' THEN
                new_learner := {_owner_column(table.model, table.owner, "NEW", quote)};
            END IF;
            PERFORM learner_version_bump(new_learner);
            IF old_learner IS DISTINCT FROM new_learner THEN
                PERFORM learner_version_bump(old_learner);
            END IF;
            RETURN NULL;
        END $$
        """,
        f"""
        CREATE OR REPLACE TRIGGER learner_version
        AFTER INSERT OR UPDATE OR DELETE ON {quote(name)}
        FOR EACH ROW EXECUTE FUNCTION {function}()
        """,
    ]


def _postgresql_bump(quote) -> str:
    versions = quote(LearnerVersion._meta.db_table)
    return f"""
        CREATE OR REPLACE FUNCTION learner_version_bump(learner bigint) RETURNS void
        LANGUAGE plpgsql AS $$
        BEGIN
            IF learner IS NOT NULL THEN
                INSERT INTO {versions} (user_id, version) VALUES (learner, 1)
                ON CONFLICT (user_id)
                DO UPDATE SET version = {versions}.version + 1;
            END IF;
        END $$
        """  # noqa: S608


def _sqlite(table: LearnerTable, quote) -> list[str]:
    name = table.model._meta.db_table
    versions = quote(LearnerVersion._meta.db_table)

    def bump(row: str, unless: str = "") -> str:
        learner = _owner_column(table.model, table.owner, row, quote)
        extra = f" AND learner IS NOT ({unless})" if unless else ""
        # The WHERE clause is required: it tells SQLite's parser that ON CONFLICT
        # belongs to the INSERT, not to a join.
        return (
            f"INSERT INTO {versions} (user_id, version) "  # noqa: S608
            f"SELECT learner, 1 FROM (SELECT {learner} AS learner) "
            f"WHERE learner IS NOT NULL{extra} "
            "ON CONFLICT (user_id) DO UPDATE SET version = version + 1;"
        )

    new_owner = _owner_column(table.model, table.owner, "NEW", quote)
    bodies = {
        "INSERT": bump("NEW"),
        "UPDATE": bump("NEW") + bump("OLD", unless=new_owner),
        "DELETE": bump("OLD"),
    }
    statements = []
    for event, body in bodies.items():
        trigger = quote(_sqlite_trigger(table, event))
        statements += [
            f"DROP TRIGGER IF EXISTS {trigger}",
            f"CREATE TRIGGER {trigger} AFTER {event} ON {quote(name)} BEGIN {body} END",
        ]
    return statements


def _present(connection) -> tuple[bool, list[LearnerTable]]:
    """Whether the versions' table exists, and the registered tables that do."""
    with connection.cursor() as cursor:
        names = set(connection.introspection.table_names(cursor))
    tables = [t for t in _tables.values() if t.model._meta.db_table in names]
    return LearnerVersion._meta.db_table in names, tables


def learner_triggers_install(using: str = "default") -> None:
    """(Re)installs the triggers of every registered table that exists on database
    `using`; removes them all while the versions' table does not exist (migrated
    back before accounts 0007), so no write ever fails for want of it."""
    connection = connections[using]
    versions, tables = _present(connection)
    if not versions:
        learner_triggers_remove(using)
        return
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        statements = [_postgresql_bump(quote)]
        for table in tables:
            statements += _postgresql(table, quote)
    elif connection.vendor == "sqlite":
        statements = [s for table in tables for s in _sqlite(table, quote)]
    else:  # the site runs on these two (README); refuse rather than go stale
        raise ImproperlyConfigured(
            f"No learner-version triggers for {connection.vendor}: kept learner "
            "pages would outlive the changes they show. Lifeline runs on "
            "PostgreSQL or SQLite."
        )
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def learner_triggers_remove(using: str = "default") -> None:
    """Drops every registered table's trigger on database `using`."""
    connection = connections[using]
    quote = connection.ops.quote_name
    _, tables = _present(connection)
    statements = []
    for table in tables:
        if connection.vendor == "postgresql":
            name = quote(table.model._meta.db_table)
            statements += [
                f"DROP TRIGGER IF EXISTS learner_version ON {name}",
                f"DROP FUNCTION IF EXISTS {quote(_postgresql_function(table))}()",
            ]
        else:
            statements += [
                f"DROP TRIGGER IF EXISTS {quote(_sqlite_trigger(table, event))}"
                for event in _EVENTS
            ]
    if connection.vendor == "postgresql":
        statements.append("DROP FUNCTION IF EXISTS learner_version_bump(bigint)")
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def on_post_migrate(sender, using: str = "default", **kwargs) -> None:
    """post_migrate receiver (apps.py), for the accounts app: the migrations of
    every app have run by then (or only some: `migrate accounts` on a new
    database; the others' tables get theirs at the next `migrate`)."""
    learner_triggers_install(using=using)


def migration_install(apps, schema_editor) -> None:
    """accounts 0007, forwards: the triggers of the tables that exist so far."""
    learner_triggers_install(using=schema_editor.connection.alias)


def migration_remove(apps, schema_editor) -> None:
    """accounts 0007, backwards: no trigger may write to the table it drops."""
    learner_triggers_remove(using=schema_editor.connection.alias)
