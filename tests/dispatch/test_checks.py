"""The deploy check that warns when dispatch runs without row locks."""
from django.db import connection

from dispatch.checks import check_dispatch_database


def test_dispatch_check_warns_only_without_skip_locked():
    messages = check_dispatch_database(None)
    if connection.features.has_select_for_update_skip_locked:
        assert messages == []
    else:
        assert [message.id for message in messages] == ["dispatch.W001"]
        assert "PostgreSQL" in messages[0].hint
