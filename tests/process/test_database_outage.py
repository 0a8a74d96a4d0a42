"""A database that goes away or locks up: /health says so, citizens get the polite busy answer
(never a 500 or a hang), the open form waits where it was, and service comes back by itself."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from glob import glob
from pathlib import Path

import pytest

from tests.process.running import ZwbotProcess, free_port

BUSY = "系统繁忙"


def wait_for_health(process: ZwbotProcess, status: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.get("/health")[0] == status:
            return
        time.sleep(0.5)
    raise AssertionError(f"/health never answered {status}")


def start_complaint(process: ZwbotProcess, sender: str) -> None:
    assert "哪个部门或窗口" in process.say(sender, "我要投诉，窗口工作人员态度恶劣")
    assert "什么时间" in process.say(sender, "二楼3号窗口")


def finish_complaint(process: ZwbotProcess, sender: str) -> None:
    """The answer the busy turn did not take is sent again, and taken as that answer."""
    asked = process.say(sender, "昨天上午")
    assert "联系电话" in asked and "没有识别出" not in asked
    assert "二楼3号窗口" in process.say(sender, "13912345678")
    assert "TS" in process.say(sender, "确认")


@pytest.mark.skipif(bool(os.environ.get("ZWBOT_TEST_DATABASE_URL")), reason="the SQLite run covers a locked file")
def test_a_locked_sqlite_database_gets_the_busy_answer_and_recovers(tmp_path: Path) -> None:
    database = tmp_path / "zwbot.db"
    zwbot = ZwbotProcess(f"sqlite:///{database}", tmp_path / "state").start()
    try:
        start_complaint(zwbot, "c-lock")
        holder = sqlite3.connect(database, timeout=1, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # another program holds the only write lock
        try:
            assert zwbot.get("/health")[0] == 503
            assert BUSY in zwbot.say("c-lock", "昨天上午")  # urllib's 15 s timeout: never a hang
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        wait_for_health(zwbot, 200)
        finish_complaint(zwbot, "c-lock")  # the form went on from where it was
    finally:
        zwbot.stop()


class PrivatePostgreSQL:
    """A throwaway PostgreSQL cluster of our own, so stopping it disturbs nobody else's server."""

    def __init__(self, base: Path) -> None:
        binaries = sorted(glob("/usr/lib/postgresql/*/bin"))
        if not binaries or os.geteuid() != 0 or not shutil.which("runuser"):
            pytest.skip("needs PostgreSQL's server binaries and root (to run them as the postgres user)")
        self.bin = Path(binaries[-1])
        self.data = base / "pgdata"
        self.port = free_port()
        base.mkdir(parents=True, exist_ok=True)
        shutil.chown(base, "postgres")
        self._as_postgres("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def _as_postgres(self, tool: str, *args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", str(self.bin / tool), *args], check=True,
                       capture_output=True, timeout=120)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        self._as_postgres("pg_ctl", "-D", str(self.data), "-w", "-l", str(self.data / "log"), "-o",
                          f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data}", "start")

    def stop(self) -> None:
        self._as_postgres("pg_ctl", "-D", str(self.data), "-w", "-m", "fast", "stop")


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgreSQL]:
    base = Path(tempfile.mkdtemp(prefix="zwbot-pg-"))  # pytest's own folders are closed to the postgres user
    try:
        server = PrivatePostgreSQL(base)
        server.start()
        yield server
        try:
            server.stop()
        except subprocess.CalledProcessError:
            pass
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.skipif(not os.environ.get("ZWBOT_TEST_DATABASE_URL"), reason="the PostgreSQL run covers a stopped server")
def test_a_stopped_postgresql_gets_the_busy_answer_and_service_comes_back(private_postgres: PrivatePostgreSQL,
                                                                          tmp_path: Path) -> None:
    zwbot = ZwbotProcess(private_postgres.url, tmp_path / "state").start()
    try:
        start_complaint(zwbot, "c-pg")
        private_postgres.stop()
        status, report = zwbot.get("/health")
        assert status == 503 and report["database"]["status"] == "down"
        assert BUSY in zwbot.say("c-pg", "昨天上午")
        private_postgres.start()
        wait_for_health(zwbot, 200)
        finish_complaint(zwbot, "c-pg")
    finally:
        zwbot.stop()
