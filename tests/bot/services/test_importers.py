"""Importers: every problem names its file, line and field; good sources import whole."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bot.services.importers import read_csv_template, read_gd_jsonl, read_zwbot_folder, write_csv_template
from tests.conftest import PROJECT_DIR, SHARED_DIR


def test_sample_knowledge_base_is_complete() -> None:
    batch = read_zwbot_folder(PROJECT_DIR / "knowledge")
    assert batch.ok, [str(p) for p in batch.problems]
    items = {r["id"]: r for r in batch.items}
    assert len(items) >= 80
    assert len({r["department"] for r in batch.items}) >= 25
    required = [row["id"] for row in csv.DictReader(open(SHARED_DIR / "kb_required_items.csv", encoding="utf-8"))] \
        if (SHARED_DIR / "kb_required_items.csv").exists() else []
    missing = [i for i in required if i not in items]
    assert not missing
    for record in batch.items:
        if record["kind"] == "主题":
            assert record.get("steps"), record["id"]
            continue
        for field in ("conditions", "materials", "process", "fee", "basis", "location", "hours", "phone",
                      "complaint_phone", "visits", "result", "source"):
            assert record.get(field) not in (None, "", []), f"{record['id']} lacks {field}"
        assert record.get("committed_limit") is not None or record.get("limit_note"), record["id"]
        for material in record["materials"]:
            assert material.get("form") and material.get("copies"), f"{record['id']}: {material}"
    themes = {r["id"] for r in batch.items if r["kind"] == "主题"}
    assert {"theme-qykb", "theme-gcjs", "theme-mgq", "theme-cyqy"} <= themes
    assert batch.centre and batch.centre.get("address") and batch.centre.get("parking")
    departments = {d["name"]: d for d in batch.departments}
    assert "工商局" in departments["市市场监督管理局"]["aliases"]


def test_yaml_errors_name_file_line_and_field(tmp_path: Path) -> None:
    (tmp_path / "items").mkdir()
    (tmp_path / "departments.yml").write_text("- {id: mz, name: 市民政局}\n", encoding="utf-8")
    (tmp_path / "items" / "a.yml").write_text(
        "- id: a-1\n  name: 甲事项\n  department: 市民政局\n  kind: 公共服务\n"
        "- id: a-2\n  name: 乙事项\n  department: 市不存在局\n  kind: 行政许可\n  committed_limit: 三天\n"
        "  materials:\n    - {name: 身份证, form: 原本, copies: 1}\n", encoding="utf-8")
    problems = {(p.where.rsplit(":", 1)[1], p.field) for p in read_zwbot_folder(tmp_path).problems}
    assert ("5", "committed_limit") in problems
    assert ("5", "department") in problems
    assert ("5", "materials[1].form") in problems
    assert not any(line == "1" for line, _ in problems)


def test_broken_yaml_reports_its_line(tmp_path: Path) -> None:
    (tmp_path / "items").mkdir()
    (tmp_path / "items" / "a.yml").write_text("- id: a\n  name: [unclosed\n  kind: x\n", encoding="utf-8")
    problems = read_zwbot_folder(tmp_path).problems
    assert problems and problems[0].where.startswith(str(tmp_path / "items" / "a.yml") + ":")


def test_csv_round_trip_and_precise_errors(tmp_path: Path) -> None:
    batch = read_zwbot_folder(PROJECT_DIR / "knowledge")
    target = tmp_path / "guides.csv"
    write_csv_template(target, [r for r in batch.items if r["kind"] != "主题"][:5])
    again = read_csv_template(target)
    assert again.ok, [str(p) for p in again.problems]
    original = next(r for r in batch.items if r["id"] == again.items[0]["id"])
    assert [m["name"] for m in again.items[0]["materials"]] == [m["name"] for m in original["materials"]]
    assert again.items[0]["committed_limit"] == original.get("committed_limit")

    bad = tmp_path / "bad.csv"
    bad.write_text("id,name,department,kind,committed_limit\nx-1,甲,市民政局,公共服务,5\nx-2,乙,市民政局,许可,五天\n",
                   encoding="utf-8")
    problems = {(p.where.rsplit(":", 1)[1], p.field) for p in read_csv_template(bad).problems}
    assert problems == {("3", "kind"), ("3", "committed_limit")}


def test_csv_without_required_columns_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("名称,部门\n甲,乙\n", encoding="utf-8")
    problems = read_csv_template(bad).problems
    assert problems and problems[0].where.endswith(":1") and "name" in problems[0].field


def test_gd_jsonl_bad_lines_are_reported_by_line(tmp_path: Path) -> None:
    source = tmp_path / "x.jsonl"
    source.write_text('{"TASK_CODE": "1", "TASK_NAME": "甲", "DEPT_NAME": "乙", "handle_time": "5(工作日)"}\n'
                      "not json\n"
                      '{"TASK_NAME": "无编码"}\n'
                      '{"TASK_CODE": "2", "TASK_NAME": "丙", "handle_time_limit": "十天"}\n', encoding="utf-8")
    problems = {(p.where.rsplit(":", 1)[1], p.field) for p in read_gd_jsonl(source).problems}
    assert problems == {("2", ""), ("3", "TASK_CODE"), ("4", "handle_time_limit")}


@pytest.mark.skipif(not (SHARED_DIR / "data" / "gd_service_items.dev.jsonl").exists(), reason="shared data absent")
def test_real_portal_export_reads_whole() -> None:
    batch = read_gd_jsonl(SHARED_DIR / "data" / "gd_service_items.dev.jsonl")
    assert batch.ok, [str(p) for p in batch.problems[:5]]
    assert len(batch.items) > 1000
    record = next(r for r in batch.items if r["id"] == "11440000006940116U2440102002002")
    assert record["name"] == "中小学地方课程教材审定"
    assert record["committed_limit"] == 18 and record["statutory_limit"] == 70
    assert record["materials"][0]["name"] == "广东省中小学地方课程教材审查登记表"
    assert record["location"]["hall"].startswith("广州市越秀区农林下路72号")
    assert record["basis"] == [] and record["fee"] is None  # not in the export: never invented
