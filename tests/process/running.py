"""`zwbot run` as a real process, for tests of what happens to it (kill -9, SIGTERM, outages)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.conftest import PROJECT_DIR


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ZwbotProcess:
    """One `zwbot run` on a free port, with its own state folder and the given database."""

    def __init__(self, database_url: str, state_dir: Path, port: int | None = None, env: dict[str, str] | None = None,
                 args: tuple[str, ...] = ()):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, ZWBOT_DATABASE_URL=database_url, ZWBOT_STATE_DIR=str(state_dir),
                        ZWBOT_HOME=str(PROJECT_DIR), **(env or {}))
        self.args = args
        self.process: subprocess.Popen[str] | None = None
        # Files, not pipes: a pipe nobody reads until the end fills up, and a worker blocked writing
        # its log to it stops serving (an outage logs a line per turn).
        self._printed = state_dir.with_name(f"{state_dir.name}-{self.port}.out")
        self._logged = state_dir.with_name(f"{state_dir.name}-{self.port}.log")

    def start(self, wait: bool = True) -> ZwbotProcess:
        self._printed.parent.mkdir(parents=True, exist_ok=True)
        with self._printed.open("w") as printed, self._logged.open("w") as logged:
            # A session of its own: stopping the test stops every worker it forked too.
            self.process = subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(self.port),
                                             *self.args], cwd=PROJECT_DIR, env=self.env, stdout=printed,
                                            stderr=logged, text=True, start_new_session=True)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"zwbot run exited: {self.log()}")
            try:
                if self.get("/health")[0] in (200, 503):
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("zwbot run did not start in time")

    def request(self, method: str, path: str, body: Any = None, timeout: float = 15) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def get(self, path: str) -> tuple[int, Any]:
        return self.request("GET", path)

    def say(self, sender: str, text: str) -> str:
        """What zwbot answers `sender` on the REST channel, as one text."""
        status, replies = self.request("POST", "/webhooks/rest/webhook", {"sender": sender, "message": text})
        assert status == 200, (status, replies)
        return "\n".join(reply["text"] for reply in replies)

    def kill(self) -> None:
        """kill -9: no clean-up of any kind."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def terminate(self, timeout: float = 30) -> tuple[int, str, str]:
        """SIGTERM, as systemd or docker stop sends it; the exit code, what it printed and its log."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=timeout)
        return self.process.returncode, self._printed.read_text(), self.log()

    def log(self) -> str:
        """What the process (and its workers) logged so far."""
        return self._logged.read_text() if self._logged.exists() else ""

    def stop(self) -> None:
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(10)


class PrivateRedis:
    """A redis-server of the test's own on a free port, so it can be stopped and started again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True,
                              text=True).stdout.strip() == "PONG":
                return
            time.sleep(0.1)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


class PrivatePostgres:
    """A PostgreSQL server of the test's own (initdb in a temporary folder, a free port), so that it can
    be stopped and started again without touching the machine's. `remove()` when done."""

    def __init__(self) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        self.bin = bins[-1].parent if bins else None
        # Directly in /tmp: the postgres user cannot enter pytest's folders, which only root may open.
        self.folder = Path(tempfile.mkdtemp(prefix="zwbot-pg-"))
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def available(self) -> bool:
        return self.bin is not None and (os.geteuid() != 0 or shutil.which("runuser") is not None)

    def _run(self, *command: str) -> None:
        # PostgreSQL refuses to run as root: as root the server runs as the postgres user.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start(self) -> None:
        assert self.bin is not None
        data = self.folder / "data"
        if not data.exists():
            if os.geteuid() == 0:
                shutil.chown(self.folder, "postgres")
            self._run(str(self.bin / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                      "--no-sync")
        self._run(str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(self.folder / "log"), "-w", "-o",
                  f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self) -> None:
        """A fast shutdown: open connections are cut, as in a restart for an upgrade."""
        assert self.bin is not None
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        """Stop the server if it runs, and delete its files."""
        if (self.folder / "data" / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
