"""`zwbot loadtest` against a real `zwbot run`: one process on SQLite, two workers on PostgreSQL and Redis,
two workers with one killed halfway through the load, and two workers whose PostgreSQL is restarted
halfway through it."""

from __future__ import annotations

import json
import os
import secrets
import signal
import string
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR
from tests.process.running import PrivatePostgres, ZwbotProcess

REDIS_URL = os.environ.get("ZWBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
WECHAT = {"ZWBOT_WECHAT_TOKEN": "loadtest-token", "ZWBOT_WECHAT_APPID": "wxloadtest000001",
          "ZWBOT_WECHAT_AES_KEY": "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(43))}


@pytest.fixture
async def database_url(new_database_url) -> str:  # type: ignore[no-untyped-def]
    return await new_database_url()


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[ZwbotProcess]:
    several = database_url.startswith("postgresql")
    env = {**WECHAT, **({"ZWBOT_REDIS_URL": REDIS_URL} if several else {})}
    process = ZwbotProcess(database_url, tmp_path / "state", env=env, args=("--workers", "2") if several else ())
    yield process
    process.stop()


def _loadtest(server: ZwbotProcess, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "bot", "loadtest", "--url", server.url, "--json", *args],
                            cwd=PROJECT_DIR, env=server.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_every_citizen_is_answered_in_order_and_each_complaint_filed_once(server: ZwbotProcess) -> None:
    server.start()
    run = _loadtest(server, "--citizens", "20")
    out, err = run.communicate(timeout=300)
    report = json.loads(out)
    assert run.returncode == 0 and report["passed"], (report, err)
    assert report["messages"] == 200 and report["acknowledged"] == report["filed_once"] == 20
    assert report["timeouts"] == 0 and report["out_of_order"] == 0 and report["duplicates"] == 0


def test_a_worker_killed_halfway_loses_and_duplicates_nothing(server: ZwbotProcess) -> None:
    if "--workers" not in server.args:
        pytest.skip("one process on SQLite: the kill -9 test of a single process is in test_run_lifecycle")
    server.start()
    workers: set[int] = set()
    while len(workers) < 2:
        workers.add(server.get("/health")[1]["process"])
    run = _loadtest(server, "--citizens", "30", "--concurrency", "15")
    time.sleep(1.0)  # about halfway through
    os.kill(min(workers), signal.SIGKILL)
    out, err = run.communicate(timeout=300)
    report = json.loads(out)
    assert report["timeouts"] == 0 and report["out_of_order"] == 0 and report["duplicates"] == 0, (report, err)
    assert report["acknowledged"] == report["filed_once"] == 30 and report["passed"]


def test_only_a_zwbot_on_this_machine_is_load_tested(server: ZwbotProcess) -> None:
    result = subprocess.run([sys.executable, "-m", "bot", "loadtest", "--url", "http://10.0.0.8:5005"],
                            cwd=PROJECT_DIR, env=server.env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "只对本机" in result.stderr and "Traceback" not in result.stderr


def test_postgres_restarted_halfway_means_busy_answers_and_no_loss(database_url: str, tmp_path: Path) -> None:
    """The database goes away under load and comes back: citizens get the polite busy answer (or
    WeChat's retry lands), no 5xx, nothing acknowledged is lost or filed twice, and service resumes
    by itself."""
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers need PostgreSQL (this is the SQLite pass)")
    postgres = PrivatePostgres()
    if not postgres.available:
        pytest.skip("PostgreSQL's server programs are not installed")
    postgres.start()
    server = ZwbotProcess(postgres.url, tmp_path / "state", env={**WECHAT, "ZWBOT_REDIS_URL": REDIS_URL},
                          args=("--workers", "2"))
    try:
        server.start()
        run = _loadtest(server, "--citizens", "30", "--concurrency", "15")
        time.sleep(1.5)  # the load is under way
        postgres.stop()
        status, health = server.get("/health")
        assert status == 503 and health["database"]["status"] == "down", health
        time.sleep(2)
        postgres.start()
        out, err = run.communicate(timeout=300)
        report = json.loads(out)
        assert report["server_errors"] == 0 and report["timeouts"] == 0, (report, err)
        assert report["out_of_order"] == 0 and report["duplicates"] == 0, (report, err)
        assert report["acknowledged"] == report["filed_once"] == 30 and report["passed"], (report, err)
        assert report["busy"] + report["retries"] > 0, report  # the outage was felt, not slept through
        assert server.get("/health")[0] == 200
    finally:
        server.stop()
        postgres.remove()
