"""Processes the benchmark starts and stops: gunicorn (Loop or the floor app) and PgBouncer, all on
127.0.0.1; plus /proc readings (peak RSS per worker, CPU time) for the report."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def wait_for_port(port: int, *, seconds: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening on {port}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {HOST}:{port} after {seconds:.0f}s")


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((HOST, port)) != 0


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def status_kb(pid: int, key: str) -> int:
    """A ``VmHWM``/``VmRSS`` line of /proc/<pid>/status, in kB (0 when the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


@dataclass
class Gunicorn:
    """One gunicorn master with its workers, started with the repository's gunicorn.conf.py."""

    name: str
    app: str
    port: int
    env: dict[str, str]
    root: Path
    log_dir: Path
    process: subprocess.Popen | None = None
    peak_rss_kb: dict[int, int] = field(default_factory=dict)

    def start(self) -> None:
        if not port_is_free(self.port):
            raise RuntimeError(f"port {self.port} is taken; stop whatever listens there")
        env = {**os.environ, **self.env, "LOOP_BIND": f"{HOST}:{self.port}"}
        env.setdefault("LOOP_ACCESS_LOG", str(self.log_dir / f"{self.name}-access.log"))
        self._log = open(self.log_dir / f"{self.name}-error.log", "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(self.root / "gunicorn.conf.py"), self.app],
            cwd=self.root,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_port(self.port, seconds=60, process=self.process)
        # Workers fork after the master listens: wait until they are all there.
        expected = int(env.get("WEB_CONCURRENCY", "0") or 0)
        deadline = time.monotonic() + 30
        while expected and len(self.workers()) < expected and time.monotonic() < deadline:
            time.sleep(0.1)

    def workers(self) -> list[int]:
        return children(self.process.pid) if self.process else []

    def sample_memory(self) -> None:
        """Record each worker's peak RSS (VmHWM) so far; call before stopping."""
        for pid in self.workers():
            self.peak_rss_kb[pid] = max(self.peak_rss_kb.get(pid, 0), status_kb(pid, "VmHWM"))

    def cpu_seconds(self) -> float:
        if not self.process:
            return 0.0
        return cpu_seconds(self.process.pid) + sum(cpu_seconds(p) for p in self.workers())

    def stop(self) -> None:
        if self.process is None:
            return
        self.sample_memory()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        self.process = None

    @property
    def max_peak_rss_mb(self) -> float:
        return max(self.peak_rss_kb.values(), default=0) / 1024


class PgBouncer:
    """Debian's pgbouncer in transaction pooling mode on 127.0.0.1, config in a temp dir."""

    def __init__(self, *, port: int, database: str, pg_host: str, pg_port: int, pg_user: str,
                 pool_size: int) -> None:
        self.port = port
        self.database = database
        self.dir = Path(tempfile.mkdtemp(prefix="loop-bench-pgbouncer-"))
        self.process: subprocess.Popen | None = None
        config = f"""
[databases]
{database} = host={pg_host} port={pg_port} dbname={database} user={pg_user}

[pgbouncer]
listen_addr = {HOST}
listen_port = {port}
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 1000
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
logfile = {self.dir / 'pgbouncer.log'}
pidfile = {self.dir / 'pgbouncer.pid'}
"""
        (self.dir / "pgbouncer.ini").write_text(config)

    def start(self) -> None:
        binary = shutil.which("pgbouncer")
        if binary is None:
            raise RuntimeError("pgbouncer is not installed (apt-get install pgbouncer)")
        command = [binary, str(self.dir / "pgbouncer.ini")]
        if os.geteuid() == 0:
            # PgBouncer refuses to run as root: drop to the postgres (or nobody) user.
            user = "postgres" if _user_exists("postgres") else "nobody"
            shutil.chown(self.dir, user=user)
            for item in self.dir.iterdir():
                shutil.chown(item, user=user)
            command[1:1] = ["-u", user]
        self._log = open(self.dir / "stdout.log", "ab")
        self.process = subprocess.Popen(
            command, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        wait_for_port(self.port, seconds=15, process=self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # pgbouncer: SIGINT = safe shutdown
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None:
            self._log.close()
        self.process = None
        shutil.rmtree(self.dir, ignore_errors=True)


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def postgres_backends_cpu(database: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving ``database`` (by its process title)."""
    out: dict[int, float] = {}
    marker = f" {database} ".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if title.startswith(b"postgres:") and marker in title:
            out[int(entry.name)] = cpu_seconds(int(entry.name))
    return out
