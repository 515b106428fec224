"""The per-process template catalog behind selection: kept between claims, dropped by this
process's writes at once, never filled from inside a transaction."""
from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from templates_app import services
from templates_app.models import PromptTemplate
from templates_app.selection import catalog, select_template
from tests.dispatch.helpers import make_active_template
from tests.factories import IssueFactory

# Outside a test transaction, as dispatch runs in production: autocommit, committed rows only.
pytestmark = pytest.mark.django_db(transaction=True)


def _selected_slug(issue) -> str | None:
    selection = select_template(issue)
    return None if selection is None else selection.template.slug


def test_the_catalog_is_read_once_and_kept_between_selections():
    template, _ = make_active_template()
    issue = IssueFactory()
    assert _selected_slug(issue) == template.slug
    with CaptureQueriesContext(connection) as queries:
        assert _selected_slug(IssueFactory()) == template.slug
    assert not [q for q in queries if "templates_app_prompttemplate" in q["sql"]]


def test_a_promotion_in_this_process_applies_to_the_next_selection():
    template, _ = make_active_template(content="first")
    issue = IssueFactory()
    assert select_template(issue).version.content == "first"
    draft = services.create_version(
        template_id=template.pk, content="second", author_type="human", author_name="t"
    )
    assert select_template(issue).version.content == "first"  # a draft changes nothing
    services.promote_version(template_id=template.pk, version_id=draft.pk)
    assert select_template(issue).version.content == "second"


def test_a_deleted_template_stops_being_selected_at_once():
    template, _ = make_active_template()
    issue = IssueFactory()
    assert _selected_slug(issue) == template.slug
    services.delete_template(template_id=template.pk)
    assert _selected_slug(issue) != template.slug


def test_a_write_from_elsewhere_shows_after_the_cache_time(settings):
    """Another server's write sends no signal here: it shows once the kept copy expires."""
    template, _ = make_active_template()
    issue = IssueFactory()
    assert _selected_slug(issue) == template.slug
    PromptTemplate.objects.filter(pk=template.pk).update(conditions={"type": "monitor"})
    assert _selected_slug(issue) == template.slug  # still the kept copy
    settings.LOOP_TEMPLATE_CACHE_SECONDS = 0
    assert _selected_slug(issue) != template.slug


def test_nothing_read_inside_a_transaction_is_kept():
    issue = IssueFactory()
    with transaction.atomic():
        template, _ = make_active_template()
        assert _selected_slug(issue) == template.slug
        transaction.set_rollback(True)
    assert _selected_slug(issue) != template.slug
    assert catalog.templates() == catalog.templates()  # kept now, outside the transaction
