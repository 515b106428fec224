"""Profile Loop's hot paths in-process: the SQL each request runs and where the Python time goes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/loop_bench \\
        python -m bench.profile_paths [--requests 300] [--sql] [--top 25]

Runs against a seeded ``loop_bench`` database (``make bench`` leaves the last backlog there; or
``python -m bench.profile_paths --seed 10000`` seeds one): claims + completions, signal ingests
and signed webhooks through Django's full request cycle (middleware, DRF, auth, throttles), the
way gunicorn calls it, minus the socket. Prints statements per request and a cProfile summary by
cumulative and own time, which is what docs/benchmarks.md's before/after section quotes.
"""
from __future__ import annotations

import argparse
import cProfile
import hashlib
import hmac
import io
import json
import os
import pstats
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

WEBHOOK_SECRET = "loop-bench-webhook-secret"
ROOT = Path(__file__).resolve().parent.parent
# Loop's own modules, as a pstats restriction (a regular expression on the file name).
OWN_CODE = r"/(accounts|issues|dispatch|templates_app|signals_app|integrations|loop_project)/"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sql", action="store_true", help="print each request's statements")
    parser.add_argument("--only", choices=["dispatch", "ingest", "webhook"], default=None)
    parser.add_argument("--seed", type=int, default=None, metavar="N",
                        help="first recreate loop_bench from the bench template with N issues")
    args = parser.parse_args()
    if args.seed:
        _reseed(args.seed)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loop_project.settings")
    os.environ.setdefault("GITHUB_WEBHOOK_SECRET", WEBHOOK_SECRET)
    os.environ.setdefault("LOOP_THROTTLE_RATE", "1000000/min")
    os.environ.setdefault("LOOP_WEBHOOK_THROTTLE_RATE", "1000000/min")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.services import create_api_key

    if connection.vendor != "postgresql":
        sys.exit("profile against PostgreSQL: set DATABASE_URL to a seeded loop_bench database")
    settings.ALLOWED_HOSTS = ["*"]
    key = create_api_key(name="bench-profiler", scopes=["read", "write", "dispatch"]).plaintext
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    client = Client()
    template = json.loads((Path(__file__).parent / "github_issues_opened.json").read_text())

    def dispatch_once() -> list[int]:
        connection.queries_log.clear()  # bounded (9,000): once full, captures would count 0
        with CaptureQueriesContext(connection) as claim_q:
            response = client.get("/api/dispatch/next", **auth)
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        with CaptureQueriesContext(connection) as done_q:
            done = client.patch(
                f"/api/issues/{body['issue']['id']}",
                data=json.dumps({"status": "done", "claimToken": body["claimToken"]}),
                content_type="application/json",
                **auth,
            )
        assert done.status_code == 200, done.content[:300]
        return [claim_q, done_q]

    counter = iter(range(10**9))

    def ingest_once() -> list[int]:
        connection.queries_log.clear()  # bounded (9,000): once full, captures would count 0
        n = next(counter)
        payload = {"source": "profile", "type": "error_rate", "severity": "high",
                   "fingerprint": f"profile-{uuid.uuid4().hex}",
                   "payload": {"message": f"spike {n}", "value": 0.2}}
        with CaptureQueriesContext(connection) as q:
            response = client.post("/api/signals", data=json.dumps(payload),
                                   content_type="application/json", **auth)
        assert response.status_code in (200, 201), response.content[:300]
        return [q]

    def webhook_once() -> list[int]:
        connection.queries_log.clear()  # bounded (9,000): once full, captures would count 0
        n = next(counter)
        payload = {**template, "issue": {**template["issue"], "number": 10**8 + n}}
        body = json.dumps(payload).encode()
        signature = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
        with CaptureQueriesContext(connection) as q:
            response = client.generic(
                "POST", "/api/signals/github", data=body, content_type="application/json",
                HTTP_X_GITHUB_EVENT="issues", HTTP_X_GITHUB_DELIVERY=str(uuid.uuid4()),
                HTTP_X_HUB_SIGNATURE_256=f"sha256={signature}",
            )
        assert response.status_code in (200, 201), response.content[:300]
        return [q]

    paths = {"dispatch": dispatch_once, "ingest": ingest_once, "webhook": webhook_once}
    for name, fn in paths.items():
        if args.only and name != args.only:
            continue
        for _ in range(20):  # warm up: imports, template caches, the once-a-minute writes
            fn()
        counts: Counter[int] = Counter()
        captured = fn()
        if args.sql:
            for q in captured:
                print(f"--- {name}: {len(q)} statements")
                for item in q.captured_queries:
                    print("   ", item["sql"][:160].replace("\n", " "))
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for _ in range(args.requests):
            fn()
        cpu = (time.process_time() - cpu0) / args.requests * 1000
        wall = (time.perf_counter() - wall0) / args.requests * 1000
        print(f"\n=== {name}: without the profiler, {cpu:.2f} ms of Python CPU and {wall:.2f} ms "
              f"wall per {name}")
        # CPU time, not wall time: waiting on PostgreSQL is not what this profile is for.
        profiler = cProfile.Profile(time.process_time)
        started = time.perf_counter()
        profiler.enable()
        for _ in range(args.requests):
            for i, q in enumerate(fn()):
                counts[(i, len(q))] += 1
        profiler.disable()
        elapsed = time.perf_counter() - started
        per = elapsed / args.requests * 1000
        print(f"\n=== {name}: {args.requests} in {elapsed:.2f}s, {per:.2f} ms per {name} "
              f"(wall, profiler on); statements per request: "
              f"{dict(sorted(counts.items()))}")
        for title, order, restriction in (
            ("Loop's own functions by cumulative time", "cumulative", OWN_CODE),
            ("all functions by own time", "tottime", ""),
        ):
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).sort_stats(order)
            stats.print_stats(restriction, args.top) if restriction else stats.print_stats(args.top)
            text = out.getvalue().replace(str(ROOT) + "/", "")
            print(f"--- {title}")
            print(text[text.find("   ncalls"):])


def _reseed(size: int) -> None:
    """Recreate ``loop_bench`` from the template database ``make bench`` keeps, seeded with
    ``size`` issues, and point this process at it."""
    from bench.run import BENCH_DB, PG_DEFAULT, TEMPLATE_DB, dsn, prepare_template, recreate
    from bench.seed import seed_backlog

    work = ROOT / "var" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    fixture = prepare_template(PG_DEFAULT, work)
    recreate(PG_DEFAULT, BENCH_DB, template=TEMPLATE_DB)
    seed_backlog(dsn(PG_DEFAULT, BENCH_DB), size=size, project_id=fixture["project_id"])
    os.environ["DATABASE_URL"] = dsn(PG_DEFAULT, BENCH_DB)


if __name__ == "__main__":
    main()
