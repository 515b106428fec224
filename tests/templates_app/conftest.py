"""Helpers for the templates_app tests: templates with an active version, built through the
services, and a clean slate without the seeded defaults where a test needs one."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from templates_app import services
from templates_app.models import PromptTemplate, PromptVersion
from templates_app.rendering import clear_compiled_cache


@pytest.fixture
def no_templates(db) -> None:
    """Remove the five seeded defaults (rolled back with the test) so selection sees only the
    templates the test creates."""
    PromptTemplate.all_objects.update(active_version=None)
    PromptTemplate.all_objects.all().delete()


@pytest.fixture(autouse=True)
def _fresh_compiled_cache():
    clear_compiled_cache()
    yield
    clear_compiled_cache()


@pytest.fixture
def make_template(db) -> Callable[..., PromptTemplate]:
    counter = {"n": 0}

    def _make(
        *,
        slug: str | None = None,
        conditions: dict[str, Any] | None = None,
        specificity: int = 10,
        project=None,
        content: str = "Work on {{ issue.title }}.",
        active: bool = True,
    ) -> PromptTemplate:
        counter["n"] += 1
        template = services.create_template(
            slug=slug or f"test-template-{counter['n']}",
            name=f"Test template {counter['n']}",
            conditions=conditions or {},
            specificity=specificity,
            project_id=project.pk if project is not None else None,
        )
        if active:
            services.create_version(
                template_id=template.pk, content=content, author_type="human", author_name="tests"
            )
            template.refresh_from_db()
        return template

    return _make


def active_version(template: PromptTemplate) -> PromptVersion:
    return PromptVersion.objects.get(template=template, status=PromptVersion.Status.ACTIVE)
