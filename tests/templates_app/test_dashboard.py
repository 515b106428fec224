"""GET /api/dashboard/prompts: per-template health, numbers not strings, needsAttention."""
from __future__ import annotations

import pytest

from templates_app import services
from templates_app.models import PromptVersion
from templates_app.selectors import needs_attention
from tests.factories import IssueFactory

pytestmark = pytest.mark.django_db


def _template_with_versions(slug: str, count: int):
    template = services.create_template(slug=slug, name=slug)
    versions = [
        services.create_version(template_id=template.pk, content=f"v{n}", author_type="human", author_name="a")
        for n in range(1, count + 1)
    ]
    return template, versions


def _review(version, scores):
    clarity, completeness, relevance = scores
    services.record_review(version_id=version.pk, issue_id=IssueFactory().pk, clarity=clarity,
                           completeness=completeness, relevance=relevance, author_type="agent")


def _entry(body, slug):
    return next(item for item in body["data"] if item["template"]["slug"] == slug)


def test_dashboard_shape_numbers_and_recent_versions(api_client, no_templates):
    template, versions = _template_with_versions("healthy", 7)
    _review(versions[0], (5, 4, 3))
    _review(versions[0], (4, 4, 4))
    response = api_client.get("/api/dashboard/prompts")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"data"}
    entry = _entry(body, "healthy")
    assert set(entry) == {"template", "activeVersion", "recentVersions", "reviewSummary", "needsAttention"}
    assert entry["activeVersion"]["id"] == versions[0].pk
    assert [v["version"] for v in entry["recentVersions"]] == [7, 6, 5, 4, 3]
    assert entry["reviewSummary"] == {
        "totalReviews": 2, "avgClarity": 4.5, "avgCompleteness": 4.0, "avgRelevance": 3.5,
        "compositeScore": 4.0,
    }
    assert entry["needsAttention"] is False


def test_template_without_reviews_or_versions(api_client, no_templates):
    services.create_template(slug="empty", name="empty")
    entry = _entry(api_client.get("/api/dashboard/prompts").json(), "empty")
    assert entry["activeVersion"] is None and entry["recentVersions"] == []
    assert entry["reviewSummary"] == {"totalReviews": 0, "avgClarity": None, "avgCompleteness": None,
                                      "avgRelevance": None, "compositeScore": None}
    assert entry["needsAttention"] is False


def test_low_score_needs_attention_and_promotion_starts_afresh(api_client, no_templates):
    template, (first, second) = _template_with_versions("weak", 2)
    _review(first, (2, 3, 3))
    assert _entry(api_client.get("/api/dashboard/prompts").json(), "weak")["needsAttention"] is True
    services.promote_version(template_id=template.pk, version_id=second.pk)
    entry = _entry(api_client.get("/api/dashboard/prompts").json(), "weak")
    assert entry["needsAttention"] is False and entry["reviewSummary"]["totalReviews"] == 0


def test_low_completion_rate_needs_attention(api_client, no_templates):
    _, (version,) = _template_with_versions("unfinished", 1)
    PromptVersion.objects.filter(pk=version.pk).update(completion_rate=0.4)
    assert _entry(api_client.get("/api/dashboard/prompts").json(), "unfinished")["needsAttention"] is True


@pytest.mark.parametrize(("score", "rate", "expected"), [
    (None, None, False), (3.0, None, False), (2.99, None, True), (None, 0.5, False),
    (None, 0.49, True), (4.5, 0.2, True),
])
def test_needs_attention_thresholds(score, rate, expected):
    assert needs_attention(composite_score=score, completion_rate=rate) is expected


def test_dashboard_query_count_does_not_grow_with_templates(api_client, django_assert_max_num_queries):
    for index in range(6):
        _, versions = _template_with_versions(f"bulk-{index}", 3)
        _review(versions[0], (3, 3, 3))
    # auth (key lookup + last-used touch) plus three reads: templates, recent versions, review stats
    with django_assert_max_num_queries(6):
        body = api_client.get("/api/dashboard/prompts").json()
    assert len(body["data"]) == 11  # 6 + the five seeded defaults
