"""``Issue.is_blocked`` is a maintained cache; after any sequence of writes it must equal the
definition (an unfinished, undeleted blocker exists through either relation spelling)."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issues import services
from issues.models import Issue, IssueRelation
from loop_project.errors import Conflict, NotFound, RuleViolation
from tests.factories import IssueFactory

pytestmark = pytest.mark.django_db


def blocked_by_definition(issue: Issue) -> bool:
    def unfinished(other: Issue) -> bool:
        return other.deleted_at is None and other.status not in ("done", "canceled")

    for relation in IssueRelation.objects.filter(issue=issue, type="blocked_by").select_related("related_issue"):
        if unfinished(relation.related_issue):
            return True
    for relation in IssueRelation.objects.filter(related_issue=issue, type="blocks").select_related("issue"):
        if unfinished(relation.issue):
            return True
    return False


def assert_blocked_state_matches_definition() -> None:
    for issue in Issue.all_objects.all():
        assert issue.is_blocked == blocked_by_definition(issue), f"#{issue.number}"


def test_blocked_by_open_issue_until_it_is_done():
    blocker, task = IssueFactory(), IssueFactory()
    services.add_relation(issue_id=task.pk, related_issue_id=blocker.pk, type="blocked_by", actor="s")
    task.refresh_from_db()
    assert task.is_blocked
    services.update_issue(issue_id=blocker.pk, actor="s", changes={"status": "done"})
    task.refresh_from_db()
    assert not task.is_blocked
    services.update_issue(issue_id=blocker.pk, actor="s", changes={"status": "todo"})
    task.refresh_from_db()
    assert task.is_blocked


def test_blocks_spelling_blocks_the_related_issue():
    blocker, task = IssueFactory(), IssueFactory()
    services.add_relation(issue_id=blocker.pk, related_issue_id=task.pk, type="blocks", actor="s")
    task.refresh_from_db()
    blocker.refresh_from_db()
    assert task.is_blocked and not blocker.is_blocked


def test_deleting_the_blocker_or_the_relation_unblocks():
    blocker, task = IssueFactory(), IssueFactory()
    relation = services.add_relation(issue_id=task.pk, related_issue_id=blocker.pk, type="blocked_by", actor="s")
    services.remove_relation(relation_id=relation.pk, actor="s")
    task.refresh_from_db()
    assert not task.is_blocked
    services.add_relation(issue_id=task.pk, related_issue_id=blocker.pk, type="blocked_by", actor="s")
    services.delete_issue(issue_id=blocker.pk, actor="s")
    task.refresh_from_db()
    assert not task.is_blocked
    services.restore_issue(issue_id=blocker.pk, actor="s")
    task.refresh_from_db()
    assert task.is_blocked


operations = st.lists(
    st.tuples(
        st.sampled_from(["relate", "unrelate", "status", "delete", "restore"]),
        st.integers(0, 5),
        st.integers(0, 5),
        st.sampled_from(["blocks", "blocked_by", "related", "todo", "done", "canceled", "in_progress"]),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_is_blocked_matches_the_definition_after_random_writes(ops):
    Issue.all_objects.all().delete()
    issues = [IssueFactory() for _ in range(6)]
    for op, i, j, arg in ops:
        a, b = issues[i], issues[j]
        try:
            if op == "relate" and arg in ("blocks", "blocked_by", "related"):
                services.add_relation(issue_id=a.pk, related_issue_id=b.pk, type=arg, actor="s")
            elif op == "unrelate":
                relation = IssueRelation.objects.filter(issue=a).first()
                if relation:
                    services.remove_relation(relation_id=relation.pk, actor="s")
            elif op == "status" and arg in ("todo", "done", "canceled", "in_progress"):
                services.update_issue(issue_id=a.pk, actor="s", changes={"status": arg})
            elif op == "delete":
                services.delete_issue(issue_id=a.pk, actor="s")
            elif op == "restore":
                services.restore_issue(issue_id=a.pk, actor="s")
        except (RuleViolation, Conflict, NotFound):
            pass
        assert_blocked_state_matches_definition()
