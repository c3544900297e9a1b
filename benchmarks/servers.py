"""The benchmark's machinery: its own PostgreSQL database, gunicorn servers, an SMTP sink.

Every server is started with the same gunicorn settings (the repository's gunicorn.conf.py
when there is one, else `--workers`), bound to a free local port, and waited for by polling.
`Servers` remembers what it started and stops exactly that, also on Ctrl-C.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks.report import parent_pid, peak_rss_mib

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
GUNICORN_CONF = ROOT / "gunicorn.conf.py"


# --- the database -----------------------------------------------------------------------------

def recreate_database(url: str) -> None:
    """Drop and create the database named in `url` (connecting to the server's "postgres" database)."""
    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


def drop_database(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def migrate(env: dict[str, str]) -> None:
    """`flask --app portal db upgrade` against the benchmark's database, as a deploy would."""
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "portal", "db", "upgrade"],
                            cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"flask db upgrade failed:\n{result.stderr[-3000:]}")


# --- an SMTP server that keeps nothing ----------------------------------------------------------

class SmtpSink:
    """Accepts every message (the portal sends e-mail after each request's commit) and counts it."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.received = 0
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        self.received += 1
        return "250 OK"

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


# --- gunicorn ---------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    port: int
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        """gunicorn's worker processes: the children of the master."""
        children = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if parent_pid((entry / "stat").read_text()) == self.process.pid:
                        children.append(int(entry.name))
                except (OSError, ValueError, IndexError):
                    continue  # the process ended while we looked
        return children

    def peak_rss_mib(self) -> float | None:
        """The largest VmHWM (peak resident memory) among the current workers."""
        peaks = []
        for pid in self.workers():
            try:
                peaks.append(peak_rss_mib(Path(f"/proc/{pid}/status").read_text()))
            except OSError:
                continue
        peaks = [peak for peak in peaks if peak is not None]
        return max(peaks) if peaks else None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Servers:
    """Starts gunicorn servers with one set of settings; stops what it started."""

    workers: int | None                 # None: gunicorn.conf.py decides
    running: list[Server] = field(default_factory=list)
    logs: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="wspolnie-bench-")))

    def settings(self) -> list[str]:
        args = ["-c", str(GUNICORN_CONF)] if GUNICORN_CONF.exists() else []
        if self.workers is not None or not GUNICORN_CONF.exists():
            args += ["--workers", str(self.workers or (os.cpu_count() or 1) * 2 + 1)]
        return args

    def describe(self) -> str:
        return " ".join("gunicorn.conf.py" if arg == str(GUNICORN_CONF) else arg for arg in self.settings())

    def start(self, name: str, app: str, env: dict[str, str], pythonpath: Path = ROOT,
              ready_path: str = "/", timeout: float = 60) -> Server:
        port = free_port()
        log = self.logs / f"{name}.log"
        command = [sys.executable, "-m", "gunicorn", *self.settings(), "--bind", f"127.0.0.1:{port}",
                   "--pythonpath", str(pythonpath), app]
        with log.open("w") as out:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        server = Server(name, process, port, log)
        self.running.append(server)
        started = time.monotonic()
        _wait_until_ready(server, ready_path, timeout)
        print(f"   ({name} answered after {time.monotonic() - started:.1f} s)", flush=True)
        return server

    def stop(self, server: Server) -> None:
        """Graceful stop (workers flush the view-count tally at exit), then make sure."""
        started = time.monotonic()
        if server.process.poll() is None:
            server.process.send_signal(signal.SIGTERM)
            try:
                server.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.process.pid, signal.SIGKILL)  # the group this script created for it
                server.process.wait()
        if server in self.running:
            self.running.remove(server)
        print(f"   ({server.name} stopped in {time.monotonic() - started:.1f} s)", flush=True)

    def stop_all(self) -> None:
        for server in list(self.running):
            self.stop(server)


def _wait_until_ready(server: Server, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited at start:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.base_url + path, timeout=5) as response:
                if response.status < 500:
                    return
        except urllib.error.HTTPError as error:
            if error.code < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} did not answer within {timeout:.0f} s:\n{server.log_tail()}")
