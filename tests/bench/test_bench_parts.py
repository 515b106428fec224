"""The benchmark's own parts, so a broken harness is caught before someone spends 30 minutes on
`make bench`: the HTTP client's framing, the seed's agreement with Loop's definitions, the
percentiles, and the docs writer keeping previous results. The benchmark itself never runs here."""
from __future__ import annotations

import asyncio

import pytest
from django.db import connection

from bench.httpclient import HttpConnection, HttpError
from bench.loadgen import percentile
from bench.report import PREVIOUS_START, RESULTS_END, RESULTS_START, write_docs
from issues.ranking import dispatch_rank
from tests.factories import GoalFactory, ProjectFactory


async def _serve_once(responses: list[bytes]) -> tuple[asyncio.AbstractServer, int, list[bytes]]:
    """A loopback server answering each request on a connection with the next canned response."""
    seen: list[bytes] = []
    queue = list(responses)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while queue:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                break
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            body = await reader.readexactly(length) if length else b""
            seen.append(head + body)
            response = queue.pop(0)
            writer.write(response)
            await writer.drain()
            if b"Connection: close" in response:
                break
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], seen


def test_http_client_reads_lengths_chunks_and_reconnects_after_close():
    async def scenario() -> None:
        server, port, seen = await _serve_once(
            [
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
                b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
                b"HTTP/1.1 204 No Content\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            ]
        )
        conn = HttpConnection("127.0.0.1", port)
        assert await conn.request("GET", "/a", headers="X-Test: 1\r\n") == (200, b"hello")
        assert await conn.request("POST", "/b", body=b'{"x":1}') == (201, b"abcde")
        assert await conn.request("GET", "/c") == (204, b"")
        assert conn._writer is None  # the server said close: the next request reconnects
        conn.close()
        server.close()
        await server.wait_closed()
        assert seen[0].startswith(b"GET /a HTTP/1.1\r\n") and b"X-Test: 1" in seen[0]
        assert seen[1].endswith(b'\r\n\r\n{"x":1}')

    asyncio.run(scenario())


def test_http_client_refuses_anything_but_loopback_and_reports_refused_connections():
    with pytest.raises(ValueError):
        HttpConnection("10.0.0.1", 80)

    async def refused() -> None:
        with pytest.raises(HttpError):
            await HttpConnection("127.0.0.1", 9).request("GET", "/")

    asyncio.run(refused())


def test_percentile_picks_from_the_sorted_values():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0 or percentile(values, 50) == 51.0
    assert percentile(values, 99) == 99.0
    assert percentile([3.0], 95) == 3.0


def test_write_docs_keeps_the_previous_run(tmp_path):
    page = tmp_path / "benchmarks.md"
    page.write_text("# Benchmarks\n\nintro\n")
    write_docs(page, section="### Latest run: first\n\n| a |\n")
    write_docs(page, section="### Latest run: second\n\n| b |\n")
    text = page.read_text()
    latest = text.split(RESULTS_START)[1].split(RESULTS_END)[0]
    previous = text.split(PREVIOUS_START)[1]
    assert "second" in latest and "first" not in latest
    assert "### Run of first" in previous
    assert text.startswith("# Benchmarks\n\nintro")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_seed_matches_loops_definitions_and_dispatch_order():
    from bench.seed import check_seed, seed_backlog
    from dispatch.services import claim_next_issue
    from issues.models import Issue

    project = ProjectFactory()
    GoalFactory(project=project, status="active")
    settings = connection.settings_dict
    dsn = (
        f"host={settings['HOST'] or '127.0.0.1'} port={settings['PORT'] or 5432} "
        f"dbname={settings['NAME']} user={settings['USER']} password={settings['PASSWORD'] or ''}"
    )
    connection.close()  # the seed commits on its own connection
    result = seed_backlog(dsn, size=500, project_id=project.pk)
    check_seed(dsn, size=500)  # counts and is_blocked against the definition

    assert result.blocked == 100
    for issue in Issue.objects.all()[:50]:
        assert issue.dispatch_rank == pytest.approx(
            dispatch_rank(
                created_at=issue.created_at,
                priority=issue.priority,
                issue_type=issue.type,
                has_active_goal=issue.project_id == project.pk,
            )
        )
    # Loop dispatches the seeded backlog in its own order, and never a blocked issue.
    best = Issue.objects.filter(status="todo", is_blocked=False).order_by("dispatch_rank", "id").first()
    claim = claim_next_issue(agent_name="seed-check")
    assert claim is not None and claim.issue.pk == best.pk
    assert not Issue.objects.get(pk=claim.issue.pk).is_blocked
    assert Issue.objects.filter(pk__in=list(result.blocker_of), is_blocked=False).count() == 0
