"""Test data, in one place. Issues are built through the service so derived state is right."""
from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from accounts.models import ApiKey
from accounts.services import create_api_key
from issues import services as issue_services
from issues.models import Comment, Goal, Issue, Label, Project
from signals_app.models import Signal
from templates_app.models import PromptReview, PromptTemplate, PromptVersion


class ProjectFactory(DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Project {n}")
    status = Project.Status.ACTIVE


class GoalFactory(DjangoModelFactory):
    class Meta:
        model = Goal

    title = factory.Sequence(lambda n: f"Goal {n}")
    status = Goal.Status.ACTIVE

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        project = kwargs.pop("project", None)
        if project is not None:
            kwargs["project_id"] = project.pk
        return issue_services.create_goal(**kwargs)


class LabelFactory(DjangoModelFactory):
    class Meta:
        model = Label

    name = factory.Sequence(lambda n: f"label-{n}")
    color = "#3b82f6"


class IssueFactory(DjangoModelFactory):
    class Meta:
        model = Issue

    title = factory.Sequence(lambda n: f"Issue {n}")
    type = Issue.Type.TASK
    status = Issue.Status.TODO
    priority = Issue.Priority.MEDIUM

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        for relation in ("parent", "project"):
            obj = kwargs.pop(relation, None)
            if obj is not None:
                kwargs[f"{relation}_id"] = obj.pk
        labels = kwargs.pop("labels", [])
        actor = kwargs.pop("actor", "system")
        return issue_services.create_issue(
            actor=actor, label_ids=[label.pk for label in labels], **kwargs
        )


class CommentFactory(DjangoModelFactory):
    class Meta:
        model = Comment

    issue = factory.SubFactory(IssueFactory)
    body = "Looks good."
    author_name = "agent-1"
    author_type = Comment.AuthorType.AGENT


class SignalFactory(DjangoModelFactory):
    class Meta:
        model = Signal

    source = "custom"
    type = "error"
    severity = Signal.Severity.HIGH
    payload = factory.LazyFunction(lambda: {"message": "boom"})
    issue = factory.SubFactory(IssueFactory, type=Issue.Type.SIGNAL)


class PromptTemplateFactory(DjangoModelFactory):
    class Meta:
        model = PromptTemplate

    slug = factory.Sequence(lambda n: f"template-{n}")
    name = factory.Sequence(lambda n: f"Template {n}")
    conditions = factory.LazyFunction(dict)
    specificity = 10


class PromptVersionFactory(DjangoModelFactory):
    class Meta:
        model = PromptVersion

    template = factory.SubFactory(PromptTemplateFactory)
    version = factory.Sequence(lambda n: n + 1)
    content = "Work on {{ issue.title }}."
    status = PromptVersion.Status.DRAFT
    author_name = "tests"


class PromptReviewFactory(DjangoModelFactory):
    class Meta:
        model = PromptReview

    version = factory.SubFactory(PromptVersionFactory)
    issue = factory.SubFactory(IssueFactory)
    clarity = 4
    completeness = 4
    relevance = 4


def make_api_key(*, name: str = "agent-1", scopes: list[str] | None = None) -> tuple[ApiKey, str]:
    """An API key and its plaintext (the only time the plaintext exists)."""
    issued = create_api_key(name=name, scopes=scopes)
    return issued.api_key, issued.plaintext


def seed_default_templates() -> None:
    """The five default templates exactly as their data migration writes them (idempotent).

    Transactional tests flush the database, data migrations' rows included; tests that need the
    defaults re-seed them this way rather than with ``serialized_rollback``, whose restore
    collides with content types recreated by an earlier flush on PostgreSQL.
    """
    import importlib

    from django.apps import apps

    migration = importlib.import_module("templates_app.migrations.0003_seed_default_templates")
    migration.seed(apps, None)
