"""The results table, the target checks and docs/benchmarks.md's results section."""
from __future__ import annotations

import math
import os
import platform
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

RESULTS_START = "<!-- bench:results:start -->"
RESULTS_END = "<!-- bench:results:end -->"
PREVIOUS_START = "<!-- bench:previous:start -->"
PREVIOUS_END = "<!-- bench:previous:end -->"
KEEP_PREVIOUS = 3


@dataclass
class Row:
    scenario: str
    backlog: str
    clients: str
    throughput: float
    p50: float
    p95: float
    p99: float
    errors: int
    duplicates: int
    driver_cpu: float
    of_floor: float | None = None
    of_db: float | None = None
    app_cpu_ms: float | None = None
    db_cpu_ms: float | None = None
    note: str = ""


def _ms(value: float) -> str:
    if value is None or math.isnan(value):
        return "–"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _cpu(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def size_label(size: int) -> str:
    return f"{size // 1_000_000}M" if size >= 1_000_000 else f"{size // 1000}k"


def table(rows: list[Row]) -> str:
    head = (
        "| scenario | backlog | clients | throughput /s | p50 ms | p95 ms | p99 ms | errors | dup "
        "| driver CPU | of floor | of DB limit | app CPU ms/unit | DB CPU ms/unit | notes |\n"
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n"
    )
    body = "".join(
        f"| {r.scenario} | {r.backlog} | {r.clients} | {r.throughput:,.0f} | {_ms(r.p50)} | "
        f"{_ms(r.p95)} | {_ms(r.p99)} | {r.errors} | {r.duplicates} | {r.driver_cpu * 100:.0f}% | "
        f"{_pct(r.of_floor)} | {_pct(r.of_db)} | {_cpu(r.app_cpu_ms)} | {_cpu(r.db_cpu_ms)} | "
        f"{r.note} |\n"
        for r in rows
    )
    return head + body


def checks_table(checks: list[tuple[str, str, str]]) -> str:
    """(target, measured, verdict) rows."""
    head = "| target | measured | verdict |\n|---|---|---|\n"
    return head + "".join(f"| {t} | {m} | {v} |\n" for t, m, v in checks)


def _run(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "?"


def machine_description(pg_settings: dict[str, str]) -> list[str]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import django

    lines = [
        f"CPU: {os.cpu_count()} cores, {model or platform.processor() or 'unknown model'}",
        f"Memory: {mem_gib:.0f} GiB; kernel {platform.release()}",
        f"PostgreSQL {pg_settings.get('server_version', '?')} on the same machine "
        f"(shared_buffers {pg_settings.get('shared_buffers', '?')}, synchronous_commit "
        f"{pg_settings.get('synchronous_commit', '?')}, max_connections "
        f"{pg_settings.get('max_connections', '?')})",
        f"Python {platform.python_version()}, Django {django.get_version()}, "
        f"gunicorn {_version('gunicorn')}, PgBouncer "
        f"{(_run(['pgbouncer', '--version']).splitlines() or ['?'])[0].split()[-1]}",
    ]
    return lines


def write_docs(path: Path, *, section: str) -> None:
    """Put ``section`` between the results markers; move the section that was there into the
    previous-results block (newest first, at most KEEP_PREVIOUS kept)."""
    text = path.read_text() if path.exists() else ""
    if RESULTS_START not in text or RESULTS_END not in text:
        text = text.rstrip() + f"\n\n## Results\n\n{RESULTS_START}\n{RESULTS_END}\n"
    if PREVIOUS_START not in text or PREVIOUS_END not in text:
        text = text.rstrip() + f"\n\n## Previous results\n\n{PREVIOUS_START}\n{PREVIOUS_END}\n"
    old = text.split(RESULTS_START, 1)[1].split(RESULTS_END, 1)[0].strip()
    previous = text.split(PREVIOUS_START, 1)[1].split(PREVIOUS_END, 1)[0].strip()
    entries = [e for e in re.split(r"\n(?=### Run of )", previous) if e.strip()] if previous else []
    if old:
        entries.insert(0, old.replace("### Latest run: ", "### Run of ", 1))
    entries = entries[:KEEP_PREVIOUS]
    text = (
        text.split(RESULTS_START, 1)[0]
        + RESULTS_START
        + "\n"
        + section.strip()
        + "\n"
        + RESULTS_END
        + text.split(RESULTS_END, 1)[1]
    )
    text = (
        text.split(PREVIOUS_START, 1)[0]
        + PREVIOUS_START
        + "\n"
        + "\n\n".join(e.strip() for e in entries)
        + ("\n" if entries else "")
        + PREVIOUS_END
        + text.split(PREVIOUS_END, 1)[1]
    )
    path.write_text(text)
