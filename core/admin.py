"""What every app's admin shares."""

from __future__ import annotations

from django.contrib import admin


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
