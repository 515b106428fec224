"""A throwaway PostgreSQL cluster and a Loop server (gunicorn, the production config) on it.

The cluster lives in a temporary directory on a spare port, is created with ``initdb`` and driven
with ``pg_ctl``; it is the only database these helpers stop, crash or restart. As root (CI), the
server runs as the ``postgres`` system user, because PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
import psycopg

BASE_DIR = Path(__file__).resolve().parents[2]
# Per process, so a server can never mistake another test run's cluster for its own.
DB_NAME = f"loop_fault_{os.getpid()}"
PREFERRED_PORT = 54329


class ClusterUnavailable(Exception):
    """The PostgreSQL server binaries (or a user to run them as) are not on this machine."""


def _bindir() -> Path:
    candidates = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, timeout=10)
        if out.returncode == 0:
            candidates.append(Path(out.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for ctl in ("pg_ctl", "initdb"):
        if shutil.which(ctl):
            candidates.append(Path(shutil.which(ctl)).resolve().parent)
    for directory in candidates:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    raise ClusterUnavailable("PostgreSQL server binaries (initdb, pg_ctl) not found")


# Ports this process has reserved, with the lock file that reserves each. Several test runs may
# share a machine (CI, or engineers running the suite at once): a port is only used while its
# lock is held, so another run's cluster can never take over our port while ours is stopped.
_RESERVED: dict[int, IO[str]] = {}


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port(preferred: int = PREFERRED_PORT) -> int:
    """A free port at or after ``preferred``, reserved for this process until release_port()
    (or until it exits: the lock is an flock)."""
    for port in range(preferred, preferred + 500):
        if port in _RESERVED:
            continue
        lock = open(Path(tempfile.gettempdir()) / f"loop-test-port-{port}.lock", "w")  # noqa: SIM115
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        if _bindable(port):
            _RESERVED[port] = lock
            return port
        lock.close()
    raise RuntimeError(f"no free port in {preferred}..{preferred + 499}")


def release_port(port: int) -> None:
    lock = _RESERVED.pop(port, None)
    if lock is not None:
        lock.close()  # closing the file drops the flock


@dataclass
class Cluster:
    """One PostgreSQL cluster in a fresh temporary directory; ``start``/``stop``/``crash`` it at
    will, ``destroy`` it at the end."""

    port: int
    max_connections: int = 30
    bindir: Path = field(default_factory=_bindir)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="loop-pg-")))

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{DB_NAME}"

    def conninfo(self, dbname: str = DB_NAME) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname} connect_timeout=3"

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise ClusterUnavailable("running as root and there is no postgres user") from None
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(
                f"{' '.join(args[:2])} failed: {result.stdout}{result.stderr}\nserver log:\n{tail}"
            )
        return result

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")  # /tmp itself is traversable
        # --no-sync only skips fsync while initdb writes the template files; the running server
        # keeps fsync on, so "committed means durable" is what the tests exercise.
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "--no-instructions",
            "-E",
            "UTF8",
            "--locale",
            "C",
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            f"-c max_connections={self.max_connections} -c superuser_reserved_connections=0 "
            "-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "30",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def crash(self) -> None:
        """Stop without a checkpoint, as a power cut would: recovery replays the WAL."""
        self.stop("immediate")

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        except Exception:  # noqa: BLE001 - already stopped
            pass
        shutil.rmtree(self.root, ignore_errors=True)
        release_port(self.port)

    def create_database(self) -> None:
        with psycopg.connect(self.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.conninfo()) as conn:
            return conn.execute(sql, params).fetchall()


def manage(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@dataclass
class Server:
    """gunicorn with the project's gunicorn.conf.py, on the cluster."""

    env: dict[str, str]
    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, log_path: Path) -> None:
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "loop_project.wsgi"],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not become healthy: {log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
                with contextlib.suppress(subprocess.TimeoutExpired):  # killed below either way
                    self.process.wait(timeout=15)
            # The server runs in its own session: whatever of it is left (a worker orphaned by a
            # master that had to be killed) goes with its process group, and nothing else does.
            with contextlib.suppress(ProcessLookupError, PermissionError):  # the group is gone
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        if getattr(self, "_log", None):
            self._log.close()
        release_port(self.port)


def server_env(cluster: Cluster, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LOOP_", "DATABASE_", "WEB_CONCURRENCY", "DJANGO_SETTINGS_MODULE"))
    }
    env.update(
        DATABASE_URL=cluster.url,
        SECRET_KEY="fault-test-secret-key-not-used-anywhere-else-0123456789",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_CONNECT_TIMEOUT="2",
        LOOP_THROTTLE_RATE="",
        LOOP_WEBHOOK_THROTTLE_RATE="",
        LOOP_ACCESS_LOG="off",
        LOG_LEVEL="WARNING",
        STATICFILES_BACKEND="django.contrib.staticfiles.storage.StaticFilesStorage",
    )
    env.update(extra)
    return env
