"""What happens to `zwbot run` and the citizens it serves when the process is killed, stopped or
started twice."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PROJECT_DIR
from tests.process.running import ZwbotProcess


@pytest.fixture
async def database_url(new_database_url) -> str:  # type: ignore[no-untyped-def]
    return await new_database_url()


@pytest.fixture
def zwbot(database_url: str, tmp_path: Path) -> Iterator[ZwbotProcess]:
    process = ZwbotProcess(database_url, tmp_path / "state")
    yield process
    process.stop()


def tickets(process: ZwbotProcess) -> list[dict]:
    result = subprocess.run([sys.executable, "-m", "bot", "tickets", "list", "--json"], cwd=PROJECT_DIR,
                            env=process.env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_complaint_form_goes_on_after_kill_9_and_files_one_ticket(zwbot: ZwbotProcess) -> None:
    zwbot.start()
    assert "哪个部门或窗口" in zwbot.say("c-kill", "我要投诉，窗口工作人员态度恶劣，让我跑了三趟")
    assert "什么时间" in zwbot.say("c-kill", "二楼3号窗口")
    zwbot.kill()  # the answer above was given: the form's state must already be in the database

    zwbot.start()
    assert "电话" in zwbot.say("c-kill", "昨天上午")
    summary = zwbot.say("c-kill", "13912345678")
    assert "二楼3号窗口" in summary and "昨天上午" in summary and "态度恶劣" in summary
    assert "TS" in zwbot.say("c-kill", "确认")
    filed = tickets(zwbot)
    assert len(filed) == 1 and filed[0]["kind"] == "complaint"


def test_a_second_run_on_the_same_port_refuses_to_start(zwbot: ZwbotProcess, tmp_path: Path) -> None:
    zwbot.start()
    second = ZwbotProcess(zwbot.env["ZWBOT_DATABASE_URL"], tmp_path / "other", port=zwbot.port).start(wait=False)
    assert second.process is not None
    code = second.process.wait(60)
    error = second.log()
    assert code != 0 and "已被占用" in error and "Traceback" not in error
    assert zwbot.get("/health")[0] == 200  # the first one serves on


def test_sigterm_finishes_the_turn_log_before_exit(zwbot: ZwbotProcess) -> None:
    zwbot.start()
    assert "老年人优待证" in zwbot.say("c-term", "老人证要带啥")
    code, out, err = zwbot.terminate()
    assert code == 0 and "Traceback" not in err and "已停止" in out
    from bot.services.tickets import today
    result = subprocess.run([sys.executable, "-m", "bot", "report", "--from", today().isoformat(), "--to",
                             today().isoformat(), "--format", "json"], cwd=PROJECT_DIR, env=zwbot.env,
                            capture_output=True, text=True, timeout=120)
    values = {row["measure"]: row["value"] for row in json.loads(result.stdout)}
    assert values["咨询消息数"] == 1
