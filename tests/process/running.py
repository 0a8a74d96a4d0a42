"""`zwbot run` as a real process, for tests of what happens to it (kill -9, SIGTERM, outages)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
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

    def start(self, wait: bool = True) -> ZwbotProcess:
        # A session of its own: stopping the test stops every worker it forked too.
        self.process = subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(self.port), *self.args],
                                        cwd=PROJECT_DIR, env=self.env, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, start_new_session=True)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"zwbot run exited: {self.process.stderr.read() if self.process.stderr else ''}")
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
        """SIGTERM, as systemd or docker stop sends it; the exit code and output."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        out, err = self.process.communicate(timeout=timeout)
        return self.process.returncode, out, err

    def stop(self) -> None:
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(10)
