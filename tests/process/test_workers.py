"""`zwbot run --workers 2` on PostgreSQL and Redis: both serve one port, a worker killed with SIGKILL is
started again while the other serves on, and a citizen's conversation survives it (PostgreSQL pass only)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR
from tests.process.running import PrivateRedis, ZwbotProcess

REDIS_URL = os.environ.get("ZWBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
async def database_url(new_database_url) -> str:  # type: ignore[no-untyped-def]
    return await new_database_url()


@pytest.fixture
def workers(database_url: str, tmp_path: Path) -> Iterator[ZwbotProcess]:
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers need PostgreSQL (this is the SQLite pass)")
    process = ZwbotProcess(database_url, tmp_path / "state", env={"ZWBOT_REDIS_URL": REDIS_URL},
                           args=("--workers", "2"))
    yield process
    process.stop()


def _serving_pids(process: ZwbotProcess, wanted: int, tries: int = 300) -> set[int]:
    """The worker processes seen answering /health (each request is a new connection)."""
    seen: set[int] = set()
    for _ in range(tries):
        status, report = process.get("/health")
        if status == 200:
            seen.add(report["process"])
        if len(seen) >= wanted:
            break
    return seen


def test_two_workers_serve_and_a_killed_one_is_replaced(workers: ZwbotProcess) -> None:
    workers.start()
    first = _serving_pids(workers, 2)
    assert len(first) == 2 and workers.process is not None and workers.process.pid not in first
    assert "哪个部门或窗口" in workers.say("w-kill", "我要投诉，窗口工作人员态度恶劣，让我跑了三趟")

    killed = min(first)
    os.kill(killed, signal.SIGKILL)
    assert "什么时间" in workers.say("w-kill", "二楼3号窗口")  # the other worker goes on with the form
    deadline = time.monotonic() + 60
    seen: set[int] = set()
    while time.monotonic() < deadline and len(seen - {killed}) < 2:
        seen |= _serving_pids(workers, 2, tries=20)
        time.sleep(0.5)
    assert len(seen - {killed}) == 2 and killed not in _serving_pids(workers, 2, tries=40)
    assert "电话" in workers.say("w-kill", "昨天上午")
    summary = workers.say("w-kill", "13912345678")
    assert "二楼3号窗口" in summary and "昨天上午" in summary


def test_sigterm_stops_every_worker(workers: ZwbotProcess) -> None:
    workers.start()
    pids = _serving_pids(workers, 2)
    code, out, err = workers.terminate(timeout=60)
    assert code == 0 and "Traceback" not in err, err
    time.sleep(0.5)
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_several_workers_on_sqlite_are_refused(tmp_path: Path) -> None:
    env = dict(os.environ, ZWBOT_HOME=str(PROJECT_DIR), ZWBOT_STATE_DIR=str(tmp_path / "state"),
               ZWBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'one.db'}", ZWBOT_REDIS_URL=REDIS_URL)
    result = subprocess.run([sys.executable, "-m", "bot", "run", "--workers", "2", "--port", "0"], cwd=PROJECT_DIR,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "只能运行一个进程" in result.stderr and "Traceback" not in result.stderr


def test_redis_stopped_means_no_turn_and_service_comes_back_by_itself(database_url: str, tmp_path: Path) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers need PostgreSQL (this is the SQLite pass)")
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    redis = PrivateRedis()
    redis.start()
    workers = ZwbotProcess(database_url, tmp_path / "state", env={"ZWBOT_REDIS_URL": redis.url},
                           args=("--workers", "2"))
    try:
        workers.start()
        assert "哪个部门或窗口" in workers.say("w-redis", "我要投诉，窗口工作人员态度恶劣，让我跑了三趟")
        redis.stop()
        status, report = workers.get("/health")
        assert status == 503 and report["redis"]["status"] == "down"
        busy = workers.say("w-redis", "二楼3号窗口")
        assert "系统繁忙" in busy  # no turn without its lock: the answer is kept for when Redis is back
        redis.start()
        deadline = time.monotonic() + 60
        while workers.get("/health")[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert workers.get("/health")[0] == 200, workers.get("/health")
        assert "什么时间" in workers.say("w-redis", "二楼3号窗口")  # the form goes on where it was
    finally:
        workers.stop()
        redis.stop()
    assert "Redis" in workers.log()  # the logs say why
