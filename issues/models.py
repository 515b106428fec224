"""The shared schema at Loop's core: projects, goals, labels, issues, their relations, comments and
the audit trail. Invariants the database can hold live in ``Meta.constraints``; the rest (hierarchy,
blocking, dispatch rank) are kept true by ``issues.services``, the only write path.
"""
from __future__ import annotations

from django.db import models
from django.db.models import Q

from loop_project.ids import new_id

ID_LENGTH = 32


def _id_field() -> models.CharField:
    return models.CharField(primary_key=True, max_length=ID_LENGTH, default=new_id, editable=False)


class ActiveManager(models.Manager):
    """Default manager: soft-deleted rows are hidden but kept (see ``all_objects``)."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


class SoftDeleteModel(models.Model):
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)

    objects = ActiveManager()
    all_objects = models.Manager()

    class Meta:
        abstract = True
        # Related-object access (issue.parent, signal.issue) must still reach soft-deleted rows.
        base_manager_name = "all_objects"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Project(SoftDeleteModel):
    class Status(models.TextChoices):
        BACKLOG = "backlog"
        PLANNED = "planned"
        ACTIVE = "active"
        PAUSED = "paused"
        COMPLETED = "completed"
        CANCELED = "canceled"

    class Health(models.TextChoices):
        ON_TRACK = "on_track"
        AT_RISK = "at_risk"
        OFF_TRACK = "off_track"

    id = _id_field()
    name = models.CharField(max_length=500)
    description = models.TextField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status, default=Status.BACKLOG)
    health = models.CharField(max_length=16, choices=Health, default=Health.ON_TRACK)
    goal = models.ForeignKey(
        "Goal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The project's headline goal (goalId).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(SoftDeleteModel.Meta):
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["backlog", "planned", "active", "paused", "completed", "canceled"]),
                name="project_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(health__in=["on_track", "at_risk", "off_track"]), name="project_health_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Goal(SoftDeleteModel):
    class Status(models.TextChoices):
        ACTIVE = "active"
        ACHIEVED = "achieved"
        ABANDONED = "abandoned"

    id = _id_field()
    title = models.CharField(max_length=500)
    description = models.TextField(null=True, blank=True)
    metric = models.CharField(max_length=200, null=True, blank=True)
    target_value = models.FloatField(null=True, blank=True)
    current_value = models.FloatField(null=True, blank=True)
    unit = models.CharField(max_length=50, null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status, default=Status.ACTIVE)
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="goals"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(SoftDeleteModel.Meta):
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["active", "achieved", "abandoned"]), name="goal_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Label(SoftDeleteModel):
    id = _id_field()
    name = models.CharField(max_length=100)
    color = models.CharField(max_length=50, default="#6b7280")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(SoftDeleteModel.Meta):
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"], condition=Q(deleted_at__isnull=True), name="label_name_unique_live"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Issue(SoftDeleteModel):
    class Type(models.TextChoices):
        SIGNAL = "signal"
        HYPOTHESIS = "hypothesis"
        PLAN = "plan"
        TASK = "task"
        MONITOR = "monitor"

    class Status(models.TextChoices):
        TRIAGE = "triage"
        BACKLOG = "backlog"
        TODO = "todo"
        IN_PROGRESS = "in_progress"
        DONE = "done"
        CANCELED = "canceled"

    class Priority(models.IntegerChoices):
        NONE = 0
        URGENT = 1
        HIGH = 2
        MEDIUM = 3
        LOW = 4

    FINISHED_STATUSES = (Status.DONE, Status.CANCELED)

    id = _id_field()
    number = models.PositiveIntegerField(unique=True, editable=False)
    title = models.CharField(max_length=500)
    description = models.TextField(null=True, blank=True)
    type = models.CharField(max_length=16, choices=Type, default=Type.TASK)
    status = models.CharField(max_length=16, choices=Status, default=Status.TRIAGE)
    priority = models.PositiveSmallIntegerField(choices=Priority, default=Priority.NONE)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="issues"
    )
    labels = models.ManyToManyField(Label, through="IssueLabel", related_name="issues", blank=True)

    signal_source = models.CharField(max_length=100, null=True, blank=True)
    signal_payload = models.JSONField(null=True, blank=True)
    hypothesis = models.JSONField(null=True, blank=True)
    agent_session_id = models.CharField(max_length=200, null=True, blank=True)
    agent_summary = models.TextField(null=True, blank=True)
    commits = models.JSONField(null=True, blank=True)
    pull_requests = models.JSONField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # --- Dispatch state, kept true by issues.services on every write that can change it. ---
    # Sort key for the queue: ascending order is descending score. The score is a per-issue
    # constant plus whole days since creation, so (created epoch days − constant) orders the queue
    # without computing anything per claim (issues/ranking.py).
    dispatch_rank = models.FloatField(default=0.0, editable=False)
    # True while an unfinished, undeleted issue blocks this one; blocked issues stay out of the
    # dispatch index so claims never walk past them.
    is_blocked = models.BooleanField(default=False, editable=False)
    claim_token = models.CharField(max_length=64, null=True, blank=True, editable=False)
    claimed_by = models.CharField(max_length=200, null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    dispatch_attempts = models.PositiveIntegerField(default=0)

    # --- Grouping of repeated signals (integrations): one open issue per fingerprint. ---
    fingerprint = models.CharField(max_length=255, null=True, blank=True)
    occurrence_count = models.PositiveIntegerField(default=1)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta(SoftDeleteModel.Meta):
        ordering = ["-created_at", "-number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(type__in=["signal", "hypothesis", "plan", "task", "monitor"]),
                name="issue_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=["triage", "backlog", "todo", "in_progress", "done", "canceled"]
                ),
                name="issue_status_valid",
            ),
            models.CheckConstraint(condition=Q(priority__lte=4), name="issue_priority_0_to_4"),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="issue_not_own_parent"
            ),
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=Q(fingerprint__isnull=False, deleted_at__isnull=True)
                & ~Q(status__in=["done", "canceled"]),
                name="issue_one_open_per_fingerprint",
            ),
        ]
        indexes = [
            # Serves the dispatch claim and the queue preview (dispatch/sql.py): only eligible
            # rows are in it, in dispatch order, so a claim reads the first unlocked entry.
            models.Index(
                fields=["dispatch_rank", "id"],
                condition=Q(status="todo", is_blocked=False, deleted_at__isnull=True),
                name="issue_dispatch_queue",
            ),
            models.Index(
                fields=["project", "dispatch_rank", "id"],
                condition=Q(status="todo", is_blocked=False, deleted_at__isnull=True),
                name="issue_dispatch_queue_project",
            ),
            models.Index(
                fields=["lease_expires_at"],
                condition=Q(status="in_progress", lease_expires_at__isnull=False),
                name="issue_claim_lease",
            ),
            models.Index(fields=["status", "type"], name="issue_status_type"),
            models.Index(fields=["project", "status"], name="issue_project_status"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.title}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED_STATUSES


class IssueLabel(models.Model):
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="issue_labels")
    label = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="issue_labels")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issue", "label"], name="issue_label_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.issue_id} ↔ {self.label_id}"


class IssueRelation(models.Model):
    class Type(models.TextChoices):
        BLOCKS = "blocks"
        BLOCKED_BY = "blocked_by"
        RELATED = "related"
        DUPLICATE = "duplicate"

    BLOCKING_TYPES = (Type.BLOCKS, Type.BLOCKED_BY)

    id = _id_field()
    type = models.CharField(max_length=16, choices=Type)
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="relations")
    related_issue = models.ForeignKey(
        Issue, on_delete=models.CASCADE, related_name="inverse_relations"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(type__in=["blocks", "blocked_by", "related", "duplicate"]),
                name="relation_type_valid",
            ),
            models.CheckConstraint(
                condition=~Q(issue=models.F("related_issue")), name="relation_not_self"
            ),
            models.UniqueConstraint(
                fields=["issue", "related_issue", "type"], name="relation_unique_per_type"
            ),
        ]
        indexes = [models.Index(fields=["related_issue", "type"], name="relation_related_type")]

    def __str__(self) -> str:
        return f"{self.issue_id} {self.type} {self.related_issue_id}"


class Comment(models.Model):
    class AuthorType(models.TextChoices):
        HUMAN = "human"
        AGENT = "agent"

    id = _id_field()
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="comments")
    body = models.TextField()
    author_name = models.CharField(max_length=200)
    author_type = models.CharField(max_length=8, choices=AuthorType, default=AuthorType.AGENT)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(author_type__in=["human", "agent"]), name="comment_author_type_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author_name} on {self.issue_id}"


class IssueEvent(models.Model):
    """The audit trail: every change to an issue, by whom, from what to what."""

    class Kind(models.TextChoices):
        CREATED = "created"
        UPDATED = "updated"
        DELETED = "deleted"
        RESTORED = "restored"
        CLAIMED = "claimed"
        RELEASED = "released"
        COMPLETED = "completed"
        LEASE_EXPIRED = "lease_expired"
        RELATION_ADDED = "relation_added"
        RELATION_REMOVED = "relation_removed"
        LABELS_CHANGED = "labels_changed"
        OCCURRENCE = "occurrence"

    id = models.BigAutoField(primary_key=True)
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24, choices=Kind)
    # "agent:<key name>", "user:<username>" or "system"; a string so history survives the actor.
    actor = models.CharField(max_length=200)
    changes = models.JSONField(default=dict, blank=True, help_text="{field: [from, to]}")
    note = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["issue", "created_at"], name="issue_event_issue_time")]

    def __str__(self) -> str:
        return f"{self.kind} {self.issue_id} by {self.actor}"
