"""What every app's admin shares."""

from __future__ import annotations

import json

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Model, QuerySet
from django.utils.functional import cached_property


class LabeledTabularInline(admin.TabularInline):
    """A tabular inline whose inputs are labeled for assistive technology.

    Django's tabular inlines show each field's label only as a column header, so an
    input has no label of its own (axe-core: "Form elements must have labels"). Each
    widget here carries its field's label as aria-label.
    """

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        for field in formset.form.base_fields.values():
            field.widget.attrs.setdefault("aria-label", str(field.label))
        return formset


# Tables with fewer rows than this are counted exactly: counting them is cheap.
ESTIMATE_ABOVE = 10_000


def table_rows_estimate(model: type[Model], *, using: str) -> int | None:
    """PostgreSQL's estimate of the table's rows (`reltuples`, kept by ANALYZE and
    autovacuum), or None elsewhere or before the table was first analyzed."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [connection.ops.quote_name(model._meta.db_table)],
        )
        row = cursor.fetchone()
    return row[0] if row and row[0] >= 0 else None


def query_rows_estimate(queryset: QuerySet) -> int:
    """The planner's estimate of how many rows `queryset` returns (PostgreSQL)."""
    sql, params = queryset.order_by().query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


class EstimatedCountPaginator(Paginator):
    """Counts a large table's list without a `COUNT(*)` over the whole table.

    On PostgreSQL, when the table holds more than ESTIMATE_ABOVE rows: the whole
    table's count is its `reltuples` estimate; a filtered or searched list's count is
    the planner's estimate when that is large, and an exact count when it is small
    (a few thousand rows, served by the index that found them). Elsewhere (SQLite)
    and for small tables the count is exact. An estimate is close, not exact: the
    last page may be a little shorter or empty (the admin then shows the first).
    """

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if isinstance(queryset, QuerySet):
            table = table_rows_estimate(queryset.model, using=queryset.db)
            if table is not None and table > ESTIMATE_ABOVE:
                query = queryset.query
                if not query.where and not query.distinct and query.group_by is None:
                    return table
                estimate = query_rows_estimate(queryset)
                if estimate > ESTIMATE_ABOVE:
                    return estimate
        return super().count


class LargeTableAdmin(admin.ModelAdmin):
    """A changelist over a table that grows with the learners (attempts,
    certificates, users, audit events...): no exact count of the whole table on any
    page, estimated counts on PostgreSQL (EstimatedCountPaginator). Each such
    admin also orders by an indexed column, drops `date_hierarchy` (its year and
    month links are a DISTINCT over every row) for a date filter, and searches
    indexed fields only (docs/OPERATIONS.md, "Admin at scale")."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    # What an object's page names besides `list_select_related` (the labels of its
    # foreign keys), read with the row rather than one query per label.
    object_select_related: tuple[str, ...] = ()

    def get_object(self, request, object_id, from_field=None):
        """The row with what its page names (ModelAdmin.get_object, one query)."""
        listed = self.list_select_related
        related = [
            *(listed if isinstance(listed, list | tuple) else ()),
            *self.object_select_related,
        ]
        queryset = self.get_queryset(request)
        if related:
            queryset = queryset.select_related(*related)
        model = queryset.model
        field = (
            model._meta.pk if from_field is None else model._meta.get_field(from_field)
        )
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (model.DoesNotExist, ValidationError, ValueError):
            return None


class LabelsInOneQueryFilter(admin.RelatedFieldListFilter):
    """A filter by a related row whose label reads that row's own foreign keys (an
    exam is "BLS · Final exam"): the choices come with the rows their non-null keys
    point to, in one query, not one query per choice."""

    def field_choices(self, field, request, model_admin):
        model = field.related_model
        keys = [
            key.name
            for key in model._meta.concrete_fields
            if key.many_to_one and not key.null
        ]
        rows = model._default_manager.all()
        if keys:
            rows = rows.select_related(*keys)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            rows = rows.order_by(*ordering)
        return [(row.pk, str(row)) for row in rows]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows only the application writes (attempts, enrollments, the audit trail):
    staff read them here; nobody adds, edits or deletes one."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
