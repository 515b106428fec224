"""Shared views of Loop objects for the CLI: issue tables, issue cards, claims."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text

from loop_client.cli.output import (
    PRIORITY_STYLES,
    STATUS_STYLES,
    TYPE_STYLES,
    Column,
    Output,
    priority_text,
    status_column,
    type_column,
)
from loop_client.sdk.models import DispatchClaim, Issue, IssueDetail, IssueRef

ISSUE_COLUMNS = [
    Column("#", justify="right", no_wrap=True),
    Column("ID", style="dim", no_wrap=True),
    type_column(),
    status_column(),
    Column(
        "Priority",
        style_of=lambda v: {
            "urgent": "bold red",
            "high": "red",
            "medium": "yellow",
            "low": "blue",
        }.get(v, "dim"),
    ),
    Column("Title"),
]


def issue_row(issue: IssueRef) -> list[Any]:
    return [
        issue.number,
        issue.id,
        issue.type,
        issue.status,
        priority_text(issue.priority),
        issue.title,
    ]


def issue_table(
    output: Output,
    issues: Sequence[IssueRef],
    *,
    title: str | None = None,
    caption: str | None = None,
    empty: str = "No issues.",
) -> None:
    output.table(
        ISSUE_COLUMNS, [issue_row(i) for i in issues], title=title, caption=caption, empty=empty
    )


def styled(value: str | None, styles: dict[Any, str]) -> Text:
    return Text(value or "", style=styles.get(value, ""))


def issue_fields(issue: Issue) -> list[tuple[str, Any]]:
    fields: list[tuple[str, Any]] = [
        ("ID", issue.id),
        ("Type", styled(issue.type, TYPE_STYLES)),
        ("Status", styled(issue.status, STATUS_STYLES)),
        (
            "Priority",
            Text(priority_text(issue.priority), style=PRIORITY_STYLES.get(issue.priority, "")),
        ),
    ]
    optional = [
        ("Parent", issue.parent_id),
        ("Project", issue.project_id),
        ("Signal source", issue.signal_source),
        ("Agent summary", issue.agent_summary),
        ("Created", issue.created_at.isoformat() if issue.created_at else None),
        ("Completed", issue.completed_at.isoformat() if issue.completed_at else None),
    ]
    fields.extend((label, value) for label, value in optional if value)
    if issue.hypothesis is not None:
        fields.append(
            (
                "Hypothesis",
                f"{issue.hypothesis.statement} (confidence {issue.hypothesis.confidence:g})",
            )
        )
    return fields


def issue_card(output: Output, issue: IssueDetail) -> None:
    output.record(f"#{issue.number} {issue.title}", issue_fields(issue))
    if issue.description:
        output.text_block("Description", issue.description)
    if issue.labels:
        output.table(
            [Column("Label"), Column("Color", style="dim")],
            [[label.name, label.color] for label in issue.labels],
            title="Labels",
        )
    if issue.children:
        issue_table(output, issue.children, title="Children")
    relations = issue.all_relations()
    if relations:
        rows = [[r.type, r.issue_id, r.related_issue_id, r.id] for r in relations]
        output.table(
            [
                Column("Relation"),
                Column("Issue"),
                Column("Related issue"),
                Column("ID", style="dim"),
            ],
            rows,
            title="Relations",
        )


def claim_view(output: Output, claim: DispatchClaim) -> None:
    issue = claim.issue
    fields: list[tuple[str, Any]] = [
        ("ID", issue.id),
        ("Type", styled(issue.type, TYPE_STYLES)),
        (
            "Priority",
            Text(priority_text(issue.priority), style=PRIORITY_STYLES.get(issue.priority, "")),
        ),
        ("Claim token", claim.claim_token),
        ("Lease expires", claim.lease_expires_at.isoformat() if claim.lease_expires_at else None),
    ]
    if claim.meta is not None:
        fields.append(
            (
                "Template",
                f"{claim.meta.template_slug} v{claim.meta.version_number}"
                f" ({claim.meta.version_id})",
            )
        )
    output.record(f"Claimed #{issue.number} {issue.title}", fields)
    if claim.prompt:
        output.text_block("Prompt", claim.prompt)
    else:
        output.info("No prompt template matched this issue; the claim stands.")
