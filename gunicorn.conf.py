"""Gunicorn configuration for Loop (``make serve``, the Dockerfile, the benchmark).

The defaults were chosen by measurement (docs/benchmarks.md, "Choosing the serving stack"); each
can be overridden by an environment variable so one file serves a laptop and a 16-core host:

  LOOP_BIND            address:port to listen on              (default 127.0.0.1:8000)
  WEB_CONCURRENCY      worker processes                       (default: 2 × cores)
  LOOP_WORKER_CLASS    sync | gthread                         (default sync)
  LOOP_THREADS         threads per worker (gthread only)      (default 1)
  LOOP_ACCESS_LOG      file for the JSON access log, "-" = stdout, "off" = none (default -)
  LOOP_MAX_REQUESTS    recycle a worker after this many requests, 0 = never (default 20000)

The access log is one JSON object per line and never contains a secret: no query string, no
headers but the user agent, no bodies (API keys travel in the Authorization header, webhook
signatures in their own headers; neither is logged).
"""
from __future__ import annotations

import json
import multiprocessing
import os
from datetime import UTC, datetime

from gunicorn.glogging import Logger

_cores = multiprocessing.cpu_count()

bind = os.environ.get("LOOP_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * _cores)))
worker_class = os.environ.get("LOOP_WORKER_CLASS", "sync")
threads = int(os.environ.get("LOOP_THREADS", "1"))
# Agents poll /next in a loop: keep their connections when the worker class can (gthread).
keepalive = 5
# A claim or an ingest takes milliseconds; 30 s only catches a wedged worker.
timeout = 30
graceful_timeout = 20
# The app is imported once in the master and forked: workers share its pages and a broken
# deploy fails at start, not on the first request.
preload_app = True
# Bounded memory over weeks of uptime; the jitter keeps workers from restarting together.
max_requests = int(os.environ.get("LOOP_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10 if max_requests else 0
# Room for many agents connecting at once while every worker is busy.
backlog = 2048
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "loop"

_access_log = os.environ.get("LOOP_ACCESS_LOG", "-")
accesslog = None if _access_log == "off" else _access_log
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()


class JsonAccessLogger(Logger):
    """One JSON object per request: time, method, path (no query string), status, bytes, duration
    in ms, client address, user agent. Nothing from headers that could carry a credential."""

    def access(self, resp, req, environ, request_time) -> None:  # noqa: ANN001
        if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.logconfig_dict or self.cfg.syslog):
            return
        record = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "status": resp.status_code,
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 2),
            "remote": environ.get("REMOTE_ADDR"),
            "user_agent": environ.get("HTTP_USER_AGENT", "")[:200],
        }
        try:
            self.access_log.info(json.dumps(record, separators=(",", ":")))
        except Exception:  # a log line must never fail a request
            self.exception("access log failed")


logger_class = JsonAccessLogger


def when_ready(server) -> None:  # noqa: ANN001
    """Runs in the master after the app is loaded and before any worker forks.

    Django imports the URLconf — and with it every view, serializer and the MCP server (pydantic
    models: seconds of CPU) — lazily, on the first request. Left to the workers, each would pay
    that on its first request (measured: ~3 s) and keep a private copy of the modules. Importing
    here makes it one import, shared by every worker copy-on-write.
    """
    if not preload_app:
        return
    try:
        from django.db import connections
        from django.urls import get_resolver
        from rest_framework.settings import api_settings

        get_resolver().url_patterns  # noqa: B018 - the import is the point
        for name in ("DEFAULT_AUTHENTICATION_CLASSES", "DEFAULT_PERMISSION_CLASSES",
                     "DEFAULT_RENDERER_CLASSES", "DEFAULT_PARSER_CLASSES",
                     "DEFAULT_THROTTLE_CLASSES", "EXCEPTION_HANDLER", "DEFAULT_PAGINATION_CLASS"):
            getattr(api_settings, name, None)
        # Nothing above should touch the database; if anything did, no connection may be
        # inherited by the forked workers.
        connections.close_all()
    except Exception:  # a warm-up must never stop the server; workers import lazily instead
        server.log.exception("warm-up import failed; workers will import on first request")
