"""Issue numbers stay unique and sequential when many clients create issues at once."""
import threading

import pytest
from django.db import connection

from issues import services
from issues.models import Issue

THREADS = 8
PER_THREAD = 15


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creation_yields_distinct_sequential_numbers():
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def create_many() -> None:
        try:
            barrier.wait()
            for n in range(PER_THREAD):
                services.create_issue(actor="t", title=f"t{n}", status="todo")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create_many) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    numbers = sorted(Issue.objects.values_list("number", flat=True))
    assert len(numbers) == THREADS * PER_THREAD
    assert len(set(numbers)) == len(numbers)
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
