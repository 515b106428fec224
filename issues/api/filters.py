"""Query filters for GET /api/issues, named as on the wire.

``status`` and ``type`` take comma-separated lists; every value must be a known one (an unknown
value is a 400 naming the parameter, where upstream silently matches nothing). ``priority`` is
an integer 0-4. Empty parameters are ignored.
"""
from __future__ import annotations

from django import forms
from django_filters import rest_framework as filters

from issues.models import Issue


class ChoiceInFilter(filters.BaseInFilter, filters.ChoiceFilter):
    """``a,b,c`` → ``field IN (a, b, c)``, each value checked against the choices."""


class IntegerFilter(filters.Filter):
    field_class = forms.IntegerField


class IssueFilter(filters.FilterSet):
    status = ChoiceInFilter(
        field_name="status",
        choices=Issue.Status.choices,
        help_text="Comma-separated list of statuses, e.g. `todo,in_progress`",
    )
    type = ChoiceInFilter(
        field_name="type",
        choices=Issue.Type.choices,
        help_text="Comma-separated list of types, e.g. `signal,task`",
    )
    projectId = filters.CharFilter(field_name="project_id", max_length=64)  # noqa: N815
    labelId = filters.CharFilter(field_name="issue_labels__label_id", max_length=64)  # noqa: N815
    priority = IntegerFilter(field_name="priority", min_value=0, max_value=4)
    parentId = filters.CharFilter(field_name="parent_id", max_length=64)  # noqa: N815

    class Meta:
        model = Issue
        fields: list[str] = []
