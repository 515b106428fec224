import pytest

from signals_app.checks import check_signal_initial_status


@pytest.mark.parametrize("status", ["triage", "backlog", "todo"])
def test_valid_initial_status_passes(settings, status):
    settings.LOOP_SIGNAL_INITIAL_STATUS = status
    assert check_signal_initial_status() == []


@pytest.mark.parametrize("status", ["done", "in_progress", "Todo", ""])
def test_invalid_initial_status_is_a_system_check_error(settings, status):
    settings.LOOP_SIGNAL_INITIAL_STATUS = status
    [error] = check_signal_initial_status()
    assert error.id == "signals_app.E001" and "LOOP_SIGNAL_INITIAL_STATUS" in error.msg


def test_check_is_registered():
    from django.core.checks.registry import registry

    assert check_signal_initial_status in registry.get_checks()
