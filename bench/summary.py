"""Turn one run's JSON into the results table, the target verdicts and the docs section."""
from __future__ import annotations

from typing import Any

from bench.report import Row, checks_table, size_label, table

SCENARIO_TITLES = {
    "db_limit": "DB limit: claim statement over psycopg",
    "floor": "floor: claim statement behind gunicorn + DRF",
    "dispatch": "dispatch: claim + PATCH done",
    "queue_first": "queue preview, first page",
    "queue_deep": "queue preview, page in the middle",
    "ingest": "ingest: POST /api/signals",
    "webhooks": "ingest: signed GitHub webhooks",
    "scale_direct": "scale-out: 2 instances, dispatch",
    "scale_ingest_direct": "scale-out: 2 instances, ingest",
    "scale_pgbouncer": "scale-out via PgBouncer, dispatch",
    "scale_ingest_pgbouncer": "scale-out via PgBouncer, ingest",
}
MAIN_OP = {"dispatch": "claim", "scale_direct": "claim", "scale_pgbouncer": "claim", "floor": "claim",
           "db_limit": "claim", "queue_first": "page", "queue_deep": "page", "ingest": "ingest",
           "webhooks": "webhook", "scale_ingest_direct": "ingest", "scale_ingest_pgbouncer": "ingest"}


def _find(results: list[dict], scenario: str, size: int | None = None, clients: int | None = None):
    for r in results:
        if r["scenario"] == scenario and (size is None or r["size"] == size) and (
            clients is None or r["clients"] == clients
        ):
            return r
    return None


def _op(r: dict, name: str, key: str) -> float:
    return r["ops"].get(name, {}).get(key, float("nan"))


def rows(payload: dict[str, Any]) -> list[Row]:
    results = payload["results"]
    out: list[Row] = []
    for r in results:
        op = MAIN_OP[r["scenario"]]
        floor = _find(results, "floor", r["size"])
        db = _find(results, "db_limit", r["size"])
        ratio = r["scenario"] in ("dispatch", "scale_direct", "scale_pgbouncer", "floor")
        note = []
        if r["scenario"] in ("dispatch", "scale_direct", "scale_pgbouncer"):
            note.append(f"PATCH p50 {_op(r, 'complete', 'p50_ms'):.1f} ms")
            if r.get("drained"):
                note.append("queue drained")
            elif r.get("drain_requested"):
                note.append("time bound hit before the queue was drained")
        if r["scenario"].startswith("queue"):
            note.append(f"offset {r.get('offset', 0):,}, total {r.get('total')}")
        if r.get("blocked_claimed"):
            note.append(f"{r['blocked_claimed']} BLOCKED CLAIMED")
        out.append(
            Row(
                scenario=SCENARIO_TITLES[r["scenario"]],
                backlog=size_label(r["size"]),
                clients=str(r["clients"]),
                throughput=r["throughput"],
                p50=_op(r, op, "p50_ms"),
                p95=_op(r, op, "p95_ms"),
                p99=_op(r, op, "p99_ms"),
                errors=r["errors"],
                duplicates=r["duplicates"],
                driver_cpu=r["driver_cpu"],
                of_floor=r["throughput"] / floor["throughput"] if ratio and floor and floor["throughput"] else None,
                of_db=r["throughput"] / db["throughput"] if ratio and db and db["throughput"] else None,
                app_cpu_ms=r.get("app_cpu_ms"),
                db_cpu_ms=r.get("db_cpu_ms"),
                note="; ".join(note),
            )
        )
    return out


def _verdict(ok: bool | None) -> str:
    return "not measured" if ok is None else ("met" if ok else "**missed**")


def checks(payload: dict[str, Any]) -> list[tuple[str, str, str]]:
    results = payload["results"]
    out: list[tuple[str, str, str]] = []
    for size in (10_000, 1_000_000):
        r = _find(results, "dispatch", size, 16)
        floor = _find(results, "floor", size)
        if r and floor:
            share = r["throughput"] / floor["throughput"]
            out.append((f"dispatch, 16 agents, {size_label(size)}: ≥ 600 claims/s and ≥ 30% of floor",
                        f"{r['throughput']:,.0f}/s, {share:.0%} of floor ({floor['throughput']:,.0f}/s)",
                        _verdict(r["throughput"] >= 600 and share >= 0.30)))
        else:
            out.append((f"dispatch, 16 agents, {size_label(size)}: ≥ 600 claims/s and ≥ 30% of floor",
                        "–", _verdict(None)))
    small, big = _find(results, "dispatch", 1_000, 1), _find(results, "dispatch", 1_000_000, 1)
    if small and big:
        a, b = _op(small, "claim", "p50_ms"), _op(big, "claim", "p50_ms")
        out.append(("1 agent claim p50 at 1M ≤ 1.2 × at 1k", f"{b:.2f} ms vs {a:.2f} ms ({b / a:.2f}×)",
                    _verdict(b <= 1.2 * a)))
    else:
        out.append(("1 agent claim p50 at 1M ≤ 1.2 × at 1k", "–", _verdict(None)))
    for size in (100_000, 1_000_000):
        r = _find(results, "queue_first", size)
        out.append((f"queue first page ≤ 10 ms at {size_label(size)} (p50)",
                    f"{_op(r, 'page', 'p50_ms'):.1f} ms (p99 {_op(r, 'page', 'p99_ms'):.1f})" if r else "–",
                    _verdict(_op(r, "page", "p50_ms") <= 10 if r else None)))
    r = _find(results, "ingest")
    out.append(("ingest ≥ 1,200 signals/s at 8 senders, p99 ≤ 30 ms",
                f"{r['throughput']:,.0f}/s, p99 {_op(r, 'ingest', 'p99_ms'):.1f} ms" if r else "–",
                _verdict(r["throughput"] >= 1200 and _op(r, "ingest", "p99_ms") <= 30 if r else None)))
    r = _find(results, "webhooks")
    out.append(("signed GitHub webhooks ≥ 1,000/s", f"{r['throughput']:,.0f}/s" if r else "–",
                _verdict(r["throughput"] >= 1000 if r else None)))
    errors = sum(x["errors"] for x in results)
    dups = sum(x["duplicates"] for x in results)
    blocked = sum(x["blocked_claimed"] for x in results)
    db_fail = [f for f in payload["failures"] if f.startswith("database checks")]
    out.append(("0 errors, 0 duplicate claims, 0 blocked claims everywhere (scale-out included)",
                f"{errors} errors, {dups} duplicates, {blocked} blocked; database checks "
                f"{'failed' if db_fail else 'clean'}",
                _verdict(not (errors or dups or blocked or db_fail))))
    loop_rss = {k: v for k, v in payload["rss_mb"].items() if not k.startswith("floor")}
    peak = max(loop_rss.values(), default=0)
    out.append(("peak RSS per gunicorn worker ≤ 120 MB", f"{peak:.0f} MB", _verdict(peak <= 120 if loop_rss else None)))
    return out


def _minutes(payload: dict[str, Any]) -> str:
    from datetime import datetime

    seconds = (datetime.fromisoformat(payload["finished"]) - datetime.fromisoformat(payload["started"])).total_seconds()
    return f"{seconds / 60:.0f} min"


def render(payload: dict[str, Any]) -> tuple[str, str]:
    the_rows = rows(payload)
    main_table = table(the_rows)
    verdicts = checks_table(checks(payload))
    kind = "quick (--quick)" if payload["quick"] else "full"
    load_b = ", ".join(f"{x:.2f}" for x in payload["load_before"])
    load_a = ", ".join(f"{x:.2f}" for x in payload["load_after"])
    rss = ", ".join(f"{k} {v:.0f} MB" for k, v in payload["rss_mb"].items())
    serve = ", ".join(payload["serve_env"]) or "gunicorn.conf.py defaults"
    section = (
        f"### Latest run: {payload['started'][:16].replace('T', ' ')} UTC, {kind}\n\n"
        + "".join(f"- {line}\n" for line in payload["machine"])
        + f"- Load average before: {load_b}; after: {load_a}; the run took {_minutes(payload)}\n"
        + f"- Serving: {serve}\n\n"
        + main_table
        + "\n"
        + verdicts
        + f"\nPeak RSS per worker (VmHWM, largest worker of each server): {rss}.\n"
        + ("\nCorrectness failures:\n" + "".join(f"- {f}\n" for f in payload["failures"])
           if payload["failures"] else "")
    )
    terminal = main_table + "\n" + verdicts + f"\npeak RSS: {rss}\n"
    return section, terminal
