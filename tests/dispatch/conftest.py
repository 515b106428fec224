"""Dispatch fixtures: a fresh reclaim throttle per test, so the opportunistic reclaim is
predictable (it runs on the first claim of each test, then not again within the interval)."""
import pytest

from dispatch.services import reclaim_throttle
from templates_app.models import PromptTemplate


@pytest.fixture(autouse=True)
def _fresh_reclaim_throttle():
    reclaim_throttle.reset()
    yield
    reclaim_throttle.reset()


@pytest.fixture
def no_templates(db):
    """No template at all, not even the defaults a migration seeds."""
    PromptTemplate.all_objects.all().delete()
