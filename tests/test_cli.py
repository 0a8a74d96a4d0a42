"""The `zwbot` command line, run as a citizen's IT team would run it."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import PROJECT_DIR, SHARED_DIR, TEST_DATA

GD_FILE = SHARED_DIR / "data" / "gd_service_items.dev.jsonl"


@pytest.fixture
async def zwbot(new_database_url, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Runs `zwbot ...` in the project folder against a fresh database."""
    env = dict(os.environ, ZWBOT_DATABASE_URL=await new_database_url(), ZWBOT_STATE_DIR=str(tmp_path / "state"),
               ZWBOT_HOME=str(PROJECT_DIR))

    def run(*args: str, stdin: str | None = None, ok: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([sys.executable, "-m", "bot", *args], cwd=PROJECT_DIR, env=env, input=stdin,
                                capture_output=True, text=True, timeout=300)
        if ok:
            assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        return result

    run.env = env  # type: ignore[attr-defined]
    return run


def test_help_lists_every_command(zwbot) -> None:  # type: ignore[no-untyped-def]
    out = zwbot("--help").stdout
    for command in ("run", "shell", "train", "test", "kb", "bench", "purge", "citizen"):
        assert command in out
    assert "import" in zwbot("kb", "--help").stdout


def test_validate_reports_line_and_field(zwbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert "通过" in zwbot("kb", "validate").stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name,department,kind,visits\nx-1,甲,市民政局,公共服务,两次\n", encoding="utf-8")
    result = zwbot("kb", "validate", str(bad), "--format", "csv", ok=False)
    assert result.returncode != 0
    assert f"{bad}:2 [visits]" in result.stdout


@pytest.mark.skipif(not GD_FILE.exists(), reason="shared data absent")
def test_import_search_export_a_real_catalogue(zwbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert "已导入 1108 个事项" in zwbot("kb", "import", str(GD_FILE), "--format", "gd-jsonl", "--replace").stdout
    found = json.loads(zwbot("kb", "search", "中小学地方课程教材审定", "--json").stdout)
    assert found["candidates"][0]["item_id"] == "11440000006940116U2440102002002"

    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"TASK_CODE": "x", "TASK_NAME": "新事项"}\n{oops\n', encoding="utf-8")
    result = zwbot("kb", "import", str(broken), "--format", "gd-jsonl", "--replace", ok=False)
    assert result.returncode != 0 and f"{broken}:2" in result.stderr and "未导入" in result.stderr

    target = tmp_path / "export.csv"
    zwbot("kb", "export", str(target), "--format", "csv")
    with open(target, encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1108  # the failed import above changed nothing


def test_export_import_round_trip_of_the_sample(zwbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    zwbot("kb", "export", str(tmp_path / "kb"))
    exported = yaml.safe_load((tmp_path / "kb" / "items" / "mz.yml").read_text(encoding="utf-8"))
    assert any(item["id"] == "mz-lnyd" for item in exported)
    assert "通过" in zwbot("kb", "validate", str(tmp_path / "kb")).stdout


def test_nlu_evaluation_on_files_and_by_cross_validation(zwbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cases = yaml.safe_load((TEST_DATA / "intents.yml").read_text(encoding="utf-8"))
    by_intent: dict[str, list[str]] = {}
    for case in cases:
        by_intent.setdefault(case["intent"], []).append(case["text"])
    test_file = tmp_path / "test.yml"
    test_file.write_text(yaml.safe_dump({"version": "3.1", "nlu": [
        {"intent": intent, "examples": "".join(f"- {t}\n" for t in texts)} for intent, texts in by_intent.items()]},
        allow_unicode=True), encoding="utf-8")
    report = json.loads(zwbot("test", "nlu", "--train", "nlu_data/nlu.yml", "--test", str(test_file), "--json").stdout)
    assert report["accuracy"] >= 0.9 and report["macro_f1"] >= 0.85 and report["train_seconds"] < 20
    assert report["per_intent"]["ask_guide"]["support"] == len(by_intent["ask_guide"])
    text = zwbot("test", "nlu", "--train", "nlu_data/nlu.yml", "--test", str(test_file)).stdout
    assert "accuracy" in text and "ask_guide" in text

    folds = json.loads(zwbot("test", "nlu", "--cross-validation", "3", "--json").stdout)
    assert folds["folds"] == 3 and folds["accuracy"] >= 0.85

    missing = zwbot("test", "nlu", "--json", ok=False)
    assert missing.returncode != 0 and "--train" in missing.stderr


def test_train_saves_a_model(zwbot) -> None:  # type: ignore[no-untyped-def]
    report = json.loads(zwbot("train").stdout)
    assert Path(report["model"]).exists() and "ask_guide" in report["intents"]


def test_shell_chats_in_the_terminal(zwbot) -> None:  # type: ignore[no-untyped-def]
    out = zwbot("shell", stdin="老人证要带啥\n那要多久？\n/quit\n").stdout
    assert "【老年人优待证办理】需要准备以下" in out and "【老年人优待证办理】办理时限" in out


def test_cases_import_is_idempotent_and_refuses_bad_files(zwbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert "已导入 5 条" in zwbot("cases", "import", str(TEST_DATA / "cases.csv")).stdout
    assert "已导入 0 条办件状态（5 条此前已导入）" in zwbot("cases", "import", str(TEST_DATA / "cases.csv")).stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("case_no,item_id\nX,Y\n", encoding="utf-8")
    result = zwbot("cases", "import", str(bad), ok=False)
    assert result.returncode != 0 and "表头缺少列" in result.stderr


def test_tickets_and_ratings_from_the_command_line(zwbot) -> None:  # type: ignore[no-untyped-def]
    assert json.loads(zwbot("tickets", "list", "--json").stdout) == []
    assert "暂无工单" in zwbot("tickets", "list").stdout
    stats = json.loads(zwbot("ratings", "stats", "--json").stdout)
    assert stats["total"] == 0 and set(stats["counts"]) == {"非常满意", "满意", "基本满意", "不满意", "非常不满意"}
    out = zwbot("shell", "--sender", "cli-citizen",
                stdin="我要投诉，窗口人员态度恶劣\n跳过\n今天\n13912345678\n确认\n确认\n/quit\n").stdout
    assert "工单编号 TS" in out
    listed = json.loads(zwbot("tickets", "list", "--json").stdout)
    assert len(listed) == 1
    ticket = listed[0]
    assert ticket["kind"] == "complaint" and ticket["status"] == "待受理" and ticket["department"]
    assert ticket["due"] > ticket["created"][:10] and ticket["overdue"] is False
    assert ticket["phone"] == "139****5678"
    assert f"{ticket['number']}  投诉  " in zwbot("tickets", "list").stdout  # the kind in Chinese, not its code


def test_staff_add_user(zwbot) -> None:  # type: ignore[no-untyped-def]
    out = zwbot("staff", "add-user", "wang", "--role", "department", "--department", "市民政局",
                "--password", "long-enough-1").stdout
    assert "已保存工作人员 wang" in out
    refused = zwbot("staff", "add-user", "li", "--role", "department", "--password", "long-enough-1", ok=False)
    assert refused.returncode != 0 and "必须指定部门" in refused.stderr
    short = zwbot("staff", "add-user", "zhao", "--role", "admin", "--password", "short", ok=False)
    assert short.returncode != 0 and "至少 8 位" in short.stderr


def test_monthly_report(zwbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    zwbot("shell", "--sender", "report-citizen", stdin="老人证要带啥\n帮我订机票\n/quit\n")
    today = __import__("bot.services.tickets", fromlist=["today"]).today().isoformat()
    rows = json.loads(zwbot("report", "--from", today, "--to", today, "--format", "json").stdout)
    values = {row["measure"]: row["value"] for row in rows}
    assert values["咨询消息数"] == 2 and values["智能助手直接解答数"] == 1 and values["无需人工解答率"] == "50.0%"
    assert any(row["section"] == "热门事项" and row["measure"] == "老年人优待证办理" for row in rows)
    zwbot("report", "--from", today, "--to", today, "--format", "xlsx", "--output", str(tmp_path / "r.xlsx"))
    assert (tmp_path / "r.xlsx").read_bytes()[:2] == b"PK"
    assert "咨询消息数" in zwbot("report", "--from", today, "--to", today, "--format", "csv").stdout
    bad = zwbot("report", "--from", "2026-12-01", "--to", "2026-11-01", ok=False)
    assert bad.returncode != 0 and "早于" in bad.stderr


async def test_citizen_export_delete_and_purge_are_audited(zwbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from bot.storage import AuditEntry, Database

    zwbot("shell", "--sender", "cli-pii", stdin="我要投诉，窗口人员态度恶劣\n跳过\n今天\n13766554433\n确认\n/quit\n")
    exported = json.loads(zwbot("citizen", "export", "--channel", "shell", "--sender", "cli-pii").stdout)
    assert exported["turns"][0]["text"] == "我要投诉，窗口人员态度恶劣"
    assert exported["tickets"][0]["phone"] == "13766554433"  # decrypted with the installation's key
    target = tmp_path / "export.json"
    assert "已写入" in zwbot("citizen", "export", "--channel", "shell", "--sender", "cli-pii", "--output",
                          str(target)).stdout
    assert json.loads(target.read_text(encoding="utf-8"))["channel"] == "shell"
    assert target.stat().st_mode & 0o077 == 0

    refused = zwbot("citizen", "delete", "--channel", "shell", "--sender", "cli-pii", stdin="n\n", ok=False)
    assert refused.returncode != 0
    out = zwbot("citizen", "delete", "--channel", "shell", "--sender", "cli-pii", "--yes").stdout
    assert "对话记录  删除 5 条" in out and "工单  保留 1 条（身份已去除）" in out
    after = json.loads(zwbot("citizen", "export", "--channel", "shell", "--sender", "cli-pii").stdout)
    assert after["turns"] == [] and after["tickets"] == []
    assert json.loads(zwbot("tickets", "list", "--json").stdout)[0]["content"] == "我要投诉，窗口人员态度恶劣"

    zwbot("shell", "--sender", "cli-old", stdin="老人证要带啥\n/quit\n")
    assert "对话记录  0 条" in zwbot("purge").stdout  # config.yml keeps 180 days
    assert "对话记录  1 条" in zwbot("purge", "--older-than", "0").stdout
    assert zwbot("purge", "--older-than", "-1", ok=False).returncode != 0

    database = Database(zwbot.env["ZWBOT_DATABASE_URL"])
    try:
        async with database.reader() as session:
            entries = (await session.scalars(select(AuditEntry).where(AuditEntry.username == "cli")
                                             .order_by(AuditEntry.id))).all()
    finally:
        await database.close()
    assert [e.action for e in entries] == ["citizen_export", "citizen_export", "citizen_delete", "citizen_export",
                                          "purge", "purge"]
    assert all("cli-pii" not in e.target + e.detail for e in entries)


def test_first_run_writes_the_admin_password_to_an_owner_only_file_not_the_output(zwbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import socket
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(port)], cwd=PROJECT_DIR,
                              env=zwbot.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and server.stdout is not None:
            line = server.stdout.readline()
            lines.append(line)
            if not line or "zwbot 已启动" in line:
                break
    finally:
        server.terminate()
        rest, errors = server.communicate(timeout=60)
    output = "".join(lines) + rest + errors
    password_file = Path(zwbot.env["ZWBOT_STATE_DIR"]) / "admin-password.txt"
    assert f"初始密码已写入 {password_file}" in output
    assert password_file.stat().st_mode & 0o777 == 0o600
    password = password_file.read_text(encoding="utf-8").split("初始密码：")[1].split()[0]
    assert len(password) >= 12 and password not in output


def test_guide_evaluation_of_a_question_file(zwbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    questions = tmp_path / "questions.csv"
    questions.write_text("question,items,aspect\n想开个牙科门诊要办哪些手续,wj-yljg,\n"
                         "老人证要带啥,mz-lnyd,materials\n帮我放首歌,,\n", encoding="utf-8")
    report = json.loads(zwbot("test", "guide", "--file", str(questions), "--json").stdout)
    assert report["questions"] == 3 and report["in_scope"] == 2
    assert report["item_at_1"] == 1.0 and report["out_of_scope"]["recall"] == 1.0 and report["misses"] == []
    text = zwbot("test", "guide", "--file", str(questions)).stdout
    assert "item@1" in text and "100.0%" in text
    bad = tmp_path / "bad.yml"
    bad.write_text("- {question: 老人证, items: [mz-lnyd], aspect: 材料}\n", encoding="utf-8")
    refused = zwbot("test", "guide", "--file", str(bad), ok=False)
    assert refused.returncode != 0 and "aspect" in refused.stderr


def test_kb_search_says_when_nothing_fits(zwbot) -> None:  # type: ignore[no-untyped-def]
    out = zwbot("kb", "search", "俺家娃要上户口咋弄").stdout
    assert "没有找到相关事项" in out and "老年人优待证" not in out
    assert "wj-yljg" in zwbot("kb", "search", "想开个牙科门诊要办哪些手续").stdout


def test_validate_reports_a_citizen_word_for_an_unknown_item(zwbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "knowledge"
    shutil.copytree(PROJECT_DIR / "knowledge", folder)
    lexicon = folder / "citizen_words.yml"
    lines = lexicon.read_text(encoding="utf-8").splitlines()
    lexicon.write_text("\n".join([*lines, "开个书店: xx-nothing", ""]), encoding="utf-8")
    result = zwbot("kb", "validate", str(folder), ok=False)
    assert result.returncode != 0 and f"{lexicon}:{len(lines) + 1}" in result.stdout and "xx-nothing" in result.stdout


def test_a_mistyped_config_stops_zwbot_with_the_keys_named(zwbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "project"
    home.mkdir()
    for name in ("domain.yml", "credentials.yml"):
        shutil.copy(PROJECT_DIR / name, home / name)
    config = yaml.safe_load((PROJECT_DIR / "config.yml").read_text(encoding="utf-8"))
    config["dialogue"]["act_margn"] = config["dialogue"].pop("act_margin")
    config["limits"]["busy_after_seconds"] = "soon"
    (home / "config.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    zwbot.env["ZWBOT_HOME"] = str(home)
    result = zwbot("run", "--port", "0", ok=False)
    assert result.returncode == 1
    assert "dialogue.act_margn：没有这个设置项" in result.stderr
    assert "limits.busy_after_seconds：应为数字，实际为 'soon'" in result.stderr
