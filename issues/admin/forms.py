"""Forms of the issue console: the issue edit form, the answers some bulk actions ask for (a
reason, a priority, a label) and the staff reply. They check what a person can fix on the page;
the services check everything again inside their transactions."""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelectMultiple

from issues.models import Comment, Issue, Label

HEX_COLOR = re.compile(r"#[0-9a-fA-F]{3,8}")


class IssueAdminForm(forms.ModelForm):
    # Issue.labels goes through IssueLabel, which admin cannot edit directly; this field is handed
    # to the service as label_ids so label changes are audited like any other change.
    edit_labels = forms.ModelMultipleChoiceField(
        label="Labels",
        queryset=Label.objects.order_by("name"),
        required=False,
        widget=AutocompleteSelectMultiple(Issue._meta.get_field("labels"), admin.site),
    )

    class Meta:
        model = Issue
        fields = (
            "title", "description", "type", "status", "priority", "parent", "project",
            "signal_source", "signal_payload", "hypothesis", "agent_session_id", "agent_summary",
            "commits", "pull_requests",
        )  # fmt: skip

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["edit_labels"].initial = [label.pk for label in self.instance.labels.all()]

    def clean_parent(self) -> Issue | None:
        """The one-level hierarchy, checked here so the form can show the error."""
        parent = self.cleaned_data.get("parent")
        if parent is None:
            return None
        if self.instance.pk and parent.pk == self.instance.pk:
            raise forms.ValidationError("An issue cannot be its own parent.")
        if parent.parent_id is not None:
            raise forms.ValidationError(
                f"#{parent.number} already has a parent; only one level of nesting is allowed."
            )
        if self.instance.pk and self.instance.children.exists():
            raise forms.ValidationError("This issue has children, so it cannot have a parent.")
        return parent


class CancelForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=2000,
        help_text="Recorded in each issue's history and left as a comment for the agents.",
    )


class PriorityForm(forms.Form):
    priority = forms.TypedChoiceField(
        choices=[(p.value, f"{p.value} — {p.label}") for p in Issue.Priority], coerce=int
    )


class AddLabelForm(forms.Form):
    label = forms.ModelChoiceField(queryset=Label.objects.order_by("name"), required=False)
    new_label = forms.CharField(
        max_length=100, required=False, help_text="Or type a new label name to create it."
    )

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("label") and not (data.get("new_label") or "").strip():
            raise forms.ValidationError("Pick a label or type a new one.")
        return data


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Reply",
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "Answer the agent…"}),
        max_length=20000,
    )
    parent_id = forms.CharField(required=False, widget=forms.HiddenInput)


class LabelAdminForm(forms.ModelForm):
    class Meta:
        model = Label
        fields = ("name", "color")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if Label.objects.filter(name=name).exists():
            raise forms.ValidationError(f"A label named '{name}' already exists.")
        return name

    def clean_color(self) -> str:
        color = self.cleaned_data["color"].strip()
        if not HEX_COLOR.fullmatch(color):
            raise forms.ValidationError("Use a hex colour such as #3b82f6.")
        return color


class CommentAdminForm(forms.ModelForm):
    class Meta:
        model = Comment
        fields = ("issue", "parent", "body")
