"""Human-friendly sequential issue numbers that stay unique under concurrent creation.

PostgreSQL: a sequence (``issue_number_seq``, created by migration 0002), so concurrent creators
never wait on each other; a rolled-back transaction leaves a gap, as a serial column would.
SQLite: max + 1, safe because Loop opens SQLite transactions IMMEDIATE (one writer at a time).
"""
from __future__ import annotations

from django.db import connection

from issues.models import Issue

SEQUENCE_NAME = "issue_number_seq"
# PostgreSQL: the expression that draws the next number, for an INSERT that takes the number from
# the sequence itself instead of a round trip to next_issue_number() first (ingest does).
NEXT_NUMBER_SQL = f"nextval('{SEQUENCE_NAME}')"


def next_issue_number() -> int:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {NEXT_NUMBER_SQL}")
            return int(cursor.fetchone()[0])
    latest = Issue.all_objects.order_by("-number").values_list("number", flat=True).first()
    return (latest or 0) + 1


def reserve_issue_numbers(count: int) -> list[int]:
    """Numbers for a bulk insert (seeding, benchmarks)."""
    if count <= 0:
        return []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(%s) FROM generate_series(1, %s)", [SEQUENCE_NAME, count]
            )
            return [int(row[0]) for row in cursor.fetchall()]
    start = next_issue_number()
    return list(range(start, start + count))
