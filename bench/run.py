"""``make bench`` — seed, serve, load, check, report. See docs/benchmarks.md.

    python -m bench.run            full run (1k, 10k, 100k, 1M; 25-40 minutes on 2 cores)
    python -m bench.run --quick    1k and 10k, short bounds, ≤ 3 minutes

Exits 1 when a correctness check fails (an error, a duplicate claim, a blocked issue claimed),
2 when the environment is not ready (no PostgreSQL, no pgbouncer). Performance targets that are
missed are reported in the table, not in the exit code.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql as pgsql

ROOT = Path(__file__).resolve().parent.parent
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432"
BENCH_DB = "loop_bench"
TEMPLATE_DB = "loop_bench_template"
AGENTS = 16
SENDERS = 8
WEBHOOK_SECRET = "loop-bench-webhook-secret"
PORT_LOOP, PORT_FLOOR, PORT_LOOP_B, PORT_PGBOUNCER = 8100, 8101, 8102, 6433
WARM_UP_CLAIMS = 48  # per server: a dozen per worker
PARTS = ("references", "queue", "dispatch", "ingest", "scaleout")


@dataclass(frozen=True)
class Plan:
    """How much each scenario does: (max units, max seconds) bounds."""

    sizes: tuple[int, ...]
    floor: tuple[int, float]
    db: tuple[int, float]
    queue_first: tuple[int, float]
    queue_deep: tuple[int, float]
    one_agent: tuple[int, float]
    four_agents: tuple[int, float]
    sixteen_cap: int  # largest backlog drained completely at 16 agents
    sixteen_bounded: int  # claims at 16 agents above that backlog
    sixteen_seconds: float
    ingest: tuple[int, float]
    scale_size: int
    scale: tuple[int, float]


FULL = Plan(
    sizes=(1_000, 10_000, 100_000, 1_000_000),
    floor=(20_000, 15),
    db=(50_000, 10),
    queue_first=(200, 20),
    queue_deep=(20, 30),
    one_agent=(1_000, 15),
    four_agents=(3_000, 15),
    sixteen_cap=100_000,
    sixteen_bounded=20_000,
    sixteen_seconds=900,
    ingest=(15_000, 15),
    scale_size=10_000,
    scale=(10_000, 60),
)
QUICK = Plan(
    sizes=(1_000, 10_000),
    floor=(4_000, 4),
    db=(8_000, 3),
    queue_first=(100, 5),
    queue_deep=(10, 5),
    one_agent=(300, 4),
    four_agents=(800, 4),
    sixteen_cap=1_000,
    sixteen_bounded=3_000,
    sixteen_seconds=8,
    ingest=(3_000, 4),
    scale_size=1_000,
    scale=(1_000, 8),
)


def say(message: str) -> None:
    print(f"[bench {datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def dsn(base: str, database: str) -> str:
    return f"{base.rstrip('/')}/{database}"


# --- environment ----------------------------------------------------------------------------


def ensure_pgbouncer() -> None:
    if shutil.which("pgbouncer"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        say("pgbouncer is missing: installing Debian's package (apt-get install pgbouncer)")
        subprocess.run(["apt-get", "install", "-y", "-qq", "pgbouncer"], check=False,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        # The package's own service is not ours to run; the bench starts its own on loopback.
        subprocess.run(["service", "pgbouncer", "stop"], capture_output=True, check=False)
    if not shutil.which("pgbouncer"):
        say("pgbouncer is required for the scale-out scenario: sudo apt-get install pgbouncer")
        sys.exit(2)


def admin_connect(pg: str) -> psycopg.Connection:
    # CREATE/DROP DATABASE must run outside a transaction, from another database; only
    # loop_bench* databases are ever created or dropped.
    return psycopg.connect(dsn(pg, "postgres"), autocommit=True)


def recreate(pg: str, name: str, *, template: str | None = None) -> None:
    assert name.startswith("loop_bench")
    with admin_connect(pg) as conn:
        conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name)))
        if template:
            conn.execute(
                pgsql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    pgsql.Identifier(name), pgsql.Identifier(template)
                )
            )
        else:
            conn.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))


def database_exists(pg: str, name: str) -> bool:
    with admin_connect(pg) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def prepare_template(pg: str, work: Path) -> dict:
    """The migrated template database with its fixtures (project + active goal, API keys).
    Rebuilt when missing; migrations are applied on every run so new ones are never missed."""
    fixture_file = work / "fixture.json"
    env = {**os.environ, "DATABASE_URL": dsn(pg, TEMPLATE_DB), "DEBUG": "false"}
    if not database_exists(pg, TEMPLATE_DB) or not fixture_file.exists():
        say(f"creating {TEMPLATE_DB} (migrate + fixtures)")
        recreate(pg, TEMPLATE_DB)
        fixture_file.unlink(missing_ok=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0", "--skip-checks"], cwd=ROOT, env=env,
                   check=True)
    if not fixture_file.exists():
        out = subprocess.run([sys.executable, "-m", "bench.prepare", "--agents", str(AGENTS)],
                             cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
        fixture_file.write_text(out)
        fixture_file.chmod(0o600)
    return json.loads(fixture_file.read_text())


def pg_settings(pg: str) -> dict[str, str]:
    with psycopg.connect(dsn(pg, TEMPLATE_DB)) as conn:
        return {
            name: conn.execute(f"SHOW {name}").fetchone()[0]
            for name in ("server_version", "shared_buffers", "synchronous_commit", "max_connections")
        }


def reset_claims(database_dsn: str) -> None:
    """Hand back every claim the reference runs made (they never complete), so Loop's own runs
    start from the same full queue. Nothing was completed, so no blocking state changed."""
    with psycopg.connect(database_dsn, autocommit=True) as conn:
        conn.execute("DELETE FROM issues_issueevent WHERE kind = 'claimed'")
        conn.execute(
            "UPDATE issues_issue SET status = 'todo', claim_token = NULL, claimed_by = NULL, "
            "claimed_at = NULL, lease_expires_at = NULL, dispatch_attempts = 0, "
            "updated_at = created_at WHERE status = 'in_progress'"
        )
        conn.execute("VACUUM (ANALYZE) issues_issue")
        conn.execute("VACUUM (ANALYZE) issues_issueevent")


def reset_backlog(database_dsn: str) -> None:
    """Put a drained (or partly drained) seeded backlog back as it was seeded: every claimed or
    completed issue todo again, the claim and completion audit rows gone, ``is_blocked`` from the
    definition. So each dispatch run on a small backlog starts from the full queue instead of
    what the previous run left (at 1k, one agent drains it). Run the database checks first."""
    with psycopg.connect(database_dsn, autocommit=True) as conn:
        conn.execute("DELETE FROM issues_issueevent WHERE kind IN ('claimed', 'updated')")
        conn.execute(
            "UPDATE issues_issue SET status = 'todo', claim_token = NULL, claimed_by = NULL, "
            "claimed_at = NULL, lease_expires_at = NULL, dispatch_attempts = 0, "
            "completed_at = NULL, updated_at = created_at WHERE status IN ('in_progress', 'done')"
        )
        conn.execute(
            """
            UPDATE issues_issue i SET is_blocked = EXISTS (
                SELECT 1 FROM issues_issuerelation r JOIN issues_issue b ON b.id = r.related_issue_id
                WHERE r.issue_id = i.id AND r.type = 'blocked_by'
                  AND b.status NOT IN ('done', 'canceled') AND b.deleted_at IS NULL)
            WHERE i.status = 'todo'
            """
        )
        conn.execute("VACUUM (ANALYZE) issues_issue")
        conn.execute("VACUUM (ANALYZE) issues_issueevent")


def database_checks(database_dsn: str) -> dict[str, int]:
    """Correctness as the database sees it, after the runs on one backlog."""
    with psycopg.connect(database_dsn) as conn:
        duplicates = conn.execute(
            "SELECT count(*) FROM (SELECT issue_id FROM issues_issueevent WHERE kind = 'claimed' "
            "GROUP BY issue_id HAVING count(*) > 1) d"
        ).fetchone()[0]
        # A claimed or completed issue whose blocker is still unfinished was handed out blocked.
        blocked = conn.execute(
            """
            SELECT count(*) FROM issues_issue i
            JOIN issues_issuerelation r ON r.issue_id = i.id AND r.type = 'blocked_by'
            JOIN issues_issue b ON b.id = r.related_issue_id
            WHERE i.status IN ('in_progress', 'done') AND b.status NOT IN ('done', 'canceled')
              AND b.deleted_at IS NULL
            """
        ).fetchone()[0]
        stale_flags = conn.execute(
            """
            SELECT count(*) FROM issues_issue i
            WHERE i.status = 'todo' AND i.is_blocked <> EXISTS (
                SELECT 1 FROM issues_issuerelation r JOIN issues_issue b ON b.id = r.related_issue_id
                WHERE r.issue_id = i.id AND r.type = 'blocked_by'
                  AND b.status NOT IN ('done', 'canceled') AND b.deleted_at IS NULL)
            """
        ).fetchone()[0]
    return {"db_duplicate_claims": duplicates, "db_blocked_claimed": blocked,
            "db_wrong_is_blocked": stale_flags}


# --- the run ----------------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.plan = QUICK if args.quick else FULL
        if args.sizes:
            self.plan = Plan(**{**self.plan.__dict__, "sizes": tuple(args.sizes)})
        self.pg = args.pg
        self.work = ROOT / "var" / "bench"
        self.work.mkdir(parents=True, exist_ok=True)
        self.logs = self.work / "logs"
        self.logs.mkdir(exist_ok=True)
        self.results: list[dict] = []
        self.failures: list[str] = []
        self.rss_mb: dict[str, float] = {}
        self.started = datetime.now(UTC)
        self.load_before = os.getloadavg()

    # servers
    def server_env(self, database_url: str, **extra: str) -> dict[str, str]:
        env = {
            "DATABASE_URL": database_url,
            "DEBUG": "false",
            "LOOP_MAX_REQUESTS": "0",  # no recycling: VmHWM is the true peak of the whole run
            "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "loop_project.settings",
            # Rate limits stay on (their cost is part of every request) but far above the load:
            # 16 agents on one address with 16 keys would otherwise be refused by design.
            "LOOP_THROTTLE_RATE": "1000000/min",
            "LOOP_WEBHOOK_THROTTLE_RATE": "1000000/min",
        }
        for item in self.args.serve_env:
            key, _, value = item.partition("=")
            env[key] = value
        env.update(extra)
        return env

    def gunicorn(self, name: str, port: int, env: dict[str, str], app: str = "loop_project.wsgi"):
        from bench.servers import Gunicorn

        server = Gunicorn(name=name, app=app, port=port, env=env, root=ROOT, log_dir=self.logs)
        server.start()
        return server

    def timed(self, servers: list, thunk):
        """Run ``thunk`` and attach the CPU the servers and the database backends spent on it,
        per unit of work: unlike throughput, that cost hardly moves when the machine is busy."""
        from bench.servers import postgres_backends_cpu

        app_before = sum(server.cpu_seconds() for server in servers)
        db_before = postgres_backends_cpu(BENCH_DB)
        result = thunk()
        app = sum(server.cpu_seconds() for server in servers) - app_before
        db_after = postgres_backends_cpu(BENCH_DB)
        db = sum(cpu - db_before.get(pid, 0.0) for pid, cpu in db_after.items())
        if result.units and servers:  # the DB limit's backends come and go within its run
            result.extra["app_cpu_ms"] = round(app / result.units * 1000, 3)
            # A backend that exited during the run (a connection past CONN_MAX_AGE was replaced)
            # took its CPU time with it: no figure rather than a low one.
            if not set(db_before) - set(db_after):
                result.extra["db_cpu_ms"] = round(db / result.units * 1000, 3)
        return result

    def record(self, result, **fields) -> dict:
        row = {**result.to_dict(), **fields}
        self.results.append(row)
        problems = []
        if result.errors:
            problems.append(f"{result.errors} errors ({'; '.join(result.error_samples[:2])})")
        if result.duplicates:
            problems.append(f"{result.duplicates} duplicate claims")
        if result.blocked_claimed:
            problems.append(f"{result.blocked_claimed} blocked issues claimed")
        if problems:
            self.failures.append(f"{result.name}: " + ", ".join(problems))
        ops = ", ".join(
            f"{op} p50 {s['p50_ms']:.1f} ms p99 {s['p99_ms']:.1f} ms" for op, s in row["ops"].items()
        )
        cost = (f"; CPU per unit: app {row['app_cpu_ms']:.2f} ms, db {row.get('db_cpu_ms', '–')} ms"
                if "app_cpu_ms" in row else "")
        say(f"  → {result.name}: {result.units:,} in {result.seconds:.1f}s = {result.throughput:,.0f}/s; "
            f"{ops}; errors {result.errors}, dup {result.duplicates}; driver CPU {result.driver_cpu:.0%}"
            f"{cost}")
        return row

    def run(self) -> int:
        from bench import loadgen, seed
        from bench.dblimit import claim_statement, db_limit_run, id_index
        from bench.report import size_label

        fixture = prepare_template(self.pg, self.work)
        self.pg_info = pg_settings(self.pg)
        statement, id_position = claim_statement(), id_index()
        keys = fixture["agent_keys"]
        db_url = dsn(self.pg, BENCH_DB)
        github_template = json.loads(
            (ROOT / "bench" / "github_issues_opened.json").read_text()
        )
        plan = self.plan
        for size in plan.sizes:
            label = size_label(size)
            say(f"=== backlog {label}: recreating {BENCH_DB} and seeding {size:,} issues")
            recreate(self.pg, BENCH_DB, template=TEMPLATE_DB)
            seeded = seed.seed_backlog(db_url, size=size, project_id=fixture["project_id"], progress=say)
            seed.check_seed(db_url, size=size)
            say(f"seeded {size:,} issues ({seeded.blocked:,} blocked) in {seeded.seconds:.0f}s")
            state = loadgen.DispatchState(blocker_of=seeded.blocker_of)
            loop = self.gunicorn(f"loop-{label}", PORT_LOOP, self.server_env(db_url))
            floor = (self.gunicorn(f"floor-{label}", PORT_FLOOR, self.server_env(db_url),
                                   app="bench.floor_wsgi") if self.wants("references") else None)
            try:
                target = [("127.0.0.1", PORT_LOOP)]
                self.warm_up(target, keys, state)
                # The two references, on the full queue, each handed back afterwards.
                if self.wants("references"):
                    n, secs = plan.floor
                    self.record(self.timed([floor], lambda: loadgen.claim_only_run(
                        name=f"floor {label}", target=("127.0.0.1", PORT_FLOOR),
                        path="/bench/floor/claim", agents=AGENTS, max_claims=min(n, size // 2),
                        max_seconds=secs, report=say)), scenario="floor", size=size, clients=AGENTS)
                    floor.stop()
                    reset_claims(db_url)
                    n, secs = plan.db
                    self.record(self.timed([], lambda: db_limit_run(
                        name=f"db limit {label}", dsn=db_url, statement=statement,
                        id_position=id_position, connections=AGENTS, max_claims=min(n, size // 2),
                        max_seconds=secs, report=say)), scenario="db_limit", size=size, clients=AGENTS)
                    reset_claims(db_url)
                if self.wants("queue"):  # the preview, on the full queue
                    n, secs = plan.queue_first
                    self.record(self.timed([loop], lambda: loadgen.queue_run(
                        name=f"queue first page {label}", target=target[0], key=keys[0], offset=0,
                        requests=n, max_seconds=secs, report=say)),
                        scenario="queue_first", size=size, clients=1)
                    n, secs = plan.queue_deep
                    deep = int(size * 0.8) // 2  # the middle of the eligible queue
                    self.record(self.timed([loop], lambda: loadgen.queue_run(
                        name=f"queue deep page {label}", target=target[0], key=keys[0], offset=deep,
                        requests=n, max_seconds=secs, report=say)),
                        scenario="queue_deep", size=size, clients=1)
                # Dispatch: 1, 4, 16 agents. Backlogs small enough to drain are put back as
                # seeded before each run (checked first), so no run starts from a drained queue.
                drain = size <= plan.sixteen_cap
                first_run = True

                def fresh_queue() -> loadgen.DispatchState:
                    nonlocal first_run
                    if first_run or not drain:
                        first_run = False
                        return state
                    self.check_db(f"{label} before reset", database_checks(db_url))
                    reset_backlog(db_url)
                    return loadgen.DispatchState(blocker_of=seeded.blocker_of)

                for agents, (n, secs) in ((1, plan.one_agent), (4, plan.four_agents)):
                    if not self.wants("dispatch"):
                        break
                    state = fresh_queue()
                    result = self.timed([loop], lambda: loadgen.dispatch_run(
                        name=f"dispatch {agents} agent(s) {label}", targets=target, keys=keys,
                        agents=agents, max_claims=n, max_seconds=secs, state=state, report=say))
                    self.record(result, scenario="dispatch", size=size, clients=agents)
                if self.wants("dispatch"):
                    state = fresh_queue()
                result = None if not self.wants("dispatch") else self.timed([loop], lambda: loadgen.dispatch_run(
                    name=f"dispatch 16 agents {label}", targets=target, keys=keys, agents=AGENTS,
                    # One more than there are issues: the run ends when the agents find the
                    # queue empty (drained), not on the count.
                    max_claims=size + 1 if drain else plan.sixteen_bounded,
                    max_seconds=plan.sixteen_seconds, state=state, report=say))
                if result is not None:
                    self.record(result, scenario="dispatch", size=size, clients=AGENTS,
                                drain_requested=drain)
                if result is not None and drain and not result.drained:
                    say(f"dispatch 16 agents {label}: stopped by its time bound before the queue "
                        "was drained (reported in the notes, not a correctness failure)")
                if size == self.ingest_size() and self.wants("ingest"):
                    n, secs = plan.ingest
                    self.record(self.timed([loop], lambda: loadgen.signals_run(
                        name=f"ingest signals {label}", targets=target, key=fixture["sender_key"],
                        senders=SENDERS, max_signals=n, max_seconds=secs, report=say)),
                        scenario="ingest", size=size, clients=SENDERS)
                    self.record(self.timed([loop], lambda: loadgen.github_run(
                        name=f"github webhooks {label}", targets=target, secret=WEBHOOK_SECRET,
                        template=github_template, senders=SENDERS, max_deliveries=n,
                        max_seconds=secs, report=say)), scenario="webhooks", size=size, clients=SENDERS)
                loop.sample_memory()
            finally:
                loop.stop()
                if floor:
                    floor.stop()
            self.rss_mb[label] = loop.max_peak_rss_mb
            if floor:
                self.rss_mb[f"floor {label}"] = floor.max_peak_rss_mb
            checks = database_checks(db_url)
            say(f"database checks {label}: {checks}")
            self.check_db(label, checks)
        if self.wants("scaleout"):
            self.scale_out(fixture, keys)
        return self.finish()

    def warm_up(self, targets: list[tuple[str, int]], keys: list[str], state) -> None:
        """A few claims per worker before anything is measured: each worker's first requests pay
        per-process caches (compiled templates, connections). Tracked by the same state, so the
        duplicate and blocked checks cover these claims too; a failure here is a failure."""
        from bench import loadgen

        result = loadgen.dispatch_run(name="warm-up", targets=targets, keys=keys, agents=8,
                                      max_claims=WARM_UP_CLAIMS * len(targets), max_seconds=30,
                                      state=state, report=lambda message: None)
        if result.errors or result.duplicates or result.blocked_claimed:
            self.failures.append(f"warm-up: {result.errors} errors ({'; '.join(result.error_samples[:2])})")

    def wants(self, part: str) -> bool:
        return not self.args.only or part in self.args.only

    def ingest_size(self) -> int:
        return 10_000 if 10_000 in self.plan.sizes else self.plan.sizes[-1]

    def check_db(self, label: str, checks: dict[str, int]) -> None:
        bad = {k: v for k, v in checks.items() if v}
        if bad:
            self.failures.append(f"database checks {label}: {bad}")

    def scale_out(self, fixture: dict, keys: list[str]) -> None:
        from bench import loadgen, seed
        from bench.report import size_label
        from bench.servers import PgBouncer

        size = self.plan.scale_size
        label = size_label(size)
        n, secs = self.plan.scale
        for via_pgbouncer in (False, True):
            name = "scale-out via PgBouncer" if via_pgbouncer else "scale-out direct"
            say(f"=== {name}: two Loop instances, {AGENTS} agents split, backlog {label}")
            db_url = dsn(self.pg, BENCH_DB)
            recreate(self.pg, BENCH_DB, template=TEMPLATE_DB)
            seeded = seed.seed_backlog(db_url, size=size, project_id=fixture["project_id"])
            state = loadgen.DispatchState(blocker_of=seeded.blocker_of)
            bouncer = None
            servers = []
            try:
                serve_url = db_url
                extra: dict[str, str] = {}
                if via_pgbouncer:
                    bouncer = PgBouncer(port=PORT_PGBOUNCER, database=BENCH_DB, pg_host="127.0.0.1",
                                        pg_port=5432, pg_user="postgres", pool_size=20)
                    bouncer.start()
                    serve_url = f"postgres://postgres@127.0.0.1:{PORT_PGBOUNCER}/{BENCH_DB}"
                    # Transaction pooling: no server-side cursors, no prepared statements
                    # (PgBouncer before 1.21 cannot carry them from one transaction to the next).
                    extra = {"DATABASE_DISABLE_SERVER_SIDE_CURSORS": "true",
                             "DATABASE_PREPARE_THRESHOLD": "0"}
                for port, suffix in ((PORT_LOOP, "a"), (PORT_LOOP_B, "b")):
                    servers.append(self.gunicorn(f"scale-{'pgb-' if via_pgbouncer else ''}{suffix}",
                                                 port, self.server_env(serve_url, **extra)))
                self.warm_up([("127.0.0.1", PORT_LOOP), ("127.0.0.1", PORT_LOOP_B)], keys, state)
                result = self.timed(servers, lambda: loadgen.dispatch_run(
                    name=name, targets=[("127.0.0.1", PORT_LOOP), ("127.0.0.1", PORT_LOOP_B)],
                    keys=keys, agents=AGENTS, max_claims=min(n, size), max_seconds=secs, state=state,
                    report=say))
                self.record(result, scenario="scale_pgbouncer" if via_pgbouncer else "scale_direct",
                            size=size, clients=AGENTS)
                n2, secs2 = self.plan.ingest
                ingest = self.timed(servers, lambda: loadgen.signals_run(
                    name=f"{name} ingest", targets=[("127.0.0.1", PORT_LOOP), ("127.0.0.1", PORT_LOOP_B)],
                    key=fixture["sender_key"], senders=SENDERS, max_signals=n2 // 3,
                    max_seconds=secs2 / 2, report=say))
                self.record(ingest, scenario="scale_ingest_pgbouncer" if via_pgbouncer else "scale_ingest_direct",
                            size=size, clients=SENDERS)
                for server in servers:
                    server.sample_memory()
            finally:
                for server in servers:
                    server.stop()
                if bouncer:
                    bouncer.stop()
            for server in servers:
                self.rss_mb[server.name] = server.max_peak_rss_mb
            checks = database_checks(db_url)
            say(f"database checks {name}: {checks}")
            self.check_db(name, checks)

    def finish(self) -> int:
        from bench.report import machine_description

        finished = datetime.now(UTC)
        payload = {
            "started": self.started.isoformat(),
            "finished": finished.isoformat(),
            "quick": self.args.quick,
            "load_before": self.load_before,
            "load_after": os.getloadavg(),
            "machine": machine_description(self.pg_info),
            "serve_env": self.args.serve_env,
            "rss_mb": self.rss_mb,
            "results": self.results,
            "failures": self.failures,
        }
        stamp = self.started.strftime("%Y%m%dT%H%M%S")
        out = self.work / f"results-{stamp}{'-quick' if self.args.quick else ''}.json"
        out.write_text(json.dumps(payload, indent=1, default=str))
        from bench.summary import render

        section, table_text = render(payload)
        print(table_text)
        (self.work / "last-run.md").write_text(section)
        if self.args.write_docs:
            from bench.report import write_docs

            write_docs(ROOT / "docs" / "benchmarks.md", section=section)
            say("wrote docs/benchmarks.md")
        say(f"results: {out}")
        if self.failures:
            say("CORRECTNESS CHECKS FAILED:")
            for failure in self.failures:
                say(f"  - {failure}")
            return 1
        say("all correctness checks passed (0 errors, 0 duplicate claims, 0 blocked claims)")
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1k and 10k backlogs, short bounds (≤ 3 min)")
    parser.add_argument("--sizes", type=int, nargs="*", help="backlog sizes to run instead of the plan's")
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", PG_DEFAULT),
                        help="PostgreSQL server URL without database (default %(default)s)")
    parser.add_argument("--serve-env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment for the Loop servers, e.g. WEB_CONCURRENCY=4")
    parser.add_argument("--only", nargs="*", choices=PARTS, metavar="PART",
                        help=f"run only these parts: {', '.join(PARTS)} (for tuning; never writes docs)")
    parser.add_argument("--write-docs", action=argparse.BooleanOptionalAction, default=None,
                        help="write docs/benchmarks.md (default: on for a full run, off for --quick)")
    args = parser.parse_args(argv)
    if args.write_docs is None:
        args.write_docs = not (args.quick or args.sizes or args.serve_env or args.only)
    if "127.0.0.1" not in args.pg and "localhost" not in args.pg:
        parser.error("the benchmark only runs against a PostgreSQL on 127.0.0.1")
    ensure_pgbouncer()
    # SIGTERM (timeout, CI, a closed terminal) unwinds like Ctrl-C, through every `finally` that
    # stops a server: the servers run in their own sessions and would otherwise outlive the bench.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loop_project.settings")
    os.environ["DATABASE_URL"] = dsn(args.pg, BENCH_DB)
    sys.path.insert(0, str(ROOT))
    try:
        with psycopg.connect(dsn(args.pg, "postgres"), connect_timeout=5):
            pass
    except psycopg.OperationalError as exc:
        say(f"PostgreSQL is not reachable at {args.pg}: {exc}")
        return 2
    import django

    django.setup()
    return Bench(args).run()


if __name__ == "__main__":
    sys.exit(main())
