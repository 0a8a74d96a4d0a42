"""Outside input that is not a channel's: button payloads, case CSV and the case API, and the knowledge
base importers. Whatever arrives, they answer, report problems or return records; they never raise."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import ClientSession
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.agent import Agent
from bot.services.cases import CSV_COLUMNS, parse_case, read_cases_csv
from bot.services.importers import (
    ImportBatch,
    read_csv_template,
    read_gd_jsonl,
    read_zwbot_folder,
)
from bot.services.importers.csv_template import COLUMNS as TEMPLATE_COLUMNS

EXAMPLES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                         max_size=4), max_leaves=20)
NUMBERISH = st.one_of(st.text(max_size=12), st.sampled_from(["²", "٣", "9" * 5000, "-1", "1e9", "０", "20(工作日)",
                                                              "90(自然日)", "无", " 7 "]))


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


# --- button payloads ---------------------------------------------------------------------------------

@EXAMPLES
@given(raw=st.one_of(st.text(max_size=200), JSON.map(json.dumps), st.integers(1, 100_000).map(nested),
                     st.integers(1, 5000).map(lambda n: "[" * n + "]" * n)))
def test_a_payload_reads_as_a_parse_whatever_it_holds(raw: str) -> None:
    parse = Agent._payload_parse("/ask_guide" + raw, "ask_guide", raw)
    assert parse["intent"]["name"] == "ask_guide" and isinstance(parse["payload"], dict)
    assert parse["guide"]["item_id"] is None or isinstance(parse["guide"]["item_id"], str)


async def test_a_deeply_nested_button_payload_gets_an_answer(server_url: str) -> None:
    async with ClientSession(base_url=server_url) as http:
        for text in ("/ask_guide" + nested(25_000), "/ask_guide" + nested(900), "/rate" + "{" * 100_000,
                     '/ask_guide{"item_id": ' + nested(3000) + "}"):
            response = await http.post("/webhooks/rest/webhook", json={"sender": "nested-payload", "message": text})
            assert response.status == 200
            replies = await response.json()
            assert replies and all(r["text"] for r in replies)
        too_big = await http.post("/webhooks/rest/webhook", json={"sender": "nested-payload",
                                                                  "message": "/ask_guide" + nested(100_000)})
        assert too_big.status == 413 and (await too_big.json())["error"]


@FEW
@given(intent=st.sampled_from(["ask_guide", "rate", "request_human", "complain", "check_progress", "greet"]),
       values=JSON)
async def test_any_button_payload_through_rest_is_answered(server_url: str, intent: str, values: Any) -> None:
    async with ClientSession(base_url=server_url) as http:
        text = f"/{intent}{json.dumps(values, ensure_ascii=False)}"
        response = await http.post("/webhooks/rest/webhook", json={"sender": "hypothesis-payloads", "message": text})
        assert response.status == 200
        await http.post("/webhooks/rest/webhook", json={"sender": "hypothesis-payloads", "message": "取消"})


@pytest.fixture(scope="module")
def api_key() -> Iterator[str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ZWBOT_API_KEY", "hypothesis-key")
        yield "hypothesis-key"


# --- cases ---------------------------------------------------------------------------------------------

CASE_VALUES = st.one_of(JSON, NUMBERISH, st.sampled_from(["accepted", "ready", "2026-11-02", "2026-11-02T09:00:00",
                                                          "13912345678", "2026-13-40", "T" * 60]))


@EXAMPLES
@given(raw=st.dictionaries(st.sampled_from(CSV_COLUMNS) | st.text(max_size=5), CASE_VALUES, max_size=12))
def test_a_case_record_is_checked_never_raises(raw: dict[str, Any]) -> None:
    problems: list = []
    record = parse_case(raw, "t", problems)
    assert (record is None) == bool(problems)


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


@EXAMPLES
@given(content=st.one_of(
    st.text(max_size=400),
    st.lists(st.lists(st.text(max_size=20) | NUMBERISH, min_size=0, max_size=11), max_size=5)
    .map(lambda rows: _csv([CSV_COLUMNS, *rows]))))
def test_a_case_csv_gives_records_or_problems(content: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cases.csv"
        path.write_text(content, encoding="utf-8", errors="surrogatepass")
        records, problems = read_cases_csv(path)
    assert isinstance(records, list) and isinstance(problems, list)


@FEW
@given(body=st.one_of(JSON, st.lists(st.dictionaries(st.sampled_from(CSV_COLUMNS), CASE_VALUES, max_size=9),
                                     max_size=3)))
async def test_the_case_api_answers_400_or_200_to_anything(server_url: str, api_key: str, body: Any) -> None:
    async with ClientSession(base_url=server_url) as http:
        response = await http.post("/api/cases", data=json.dumps(body), headers={"X-API-Key": api_key})
        assert response.status in (200, 400), await response.text()


# --- knowledge base importers -------------------------------------------------------------------------------

ITEM_KEYS = ["id", "name", "department", "kind", "aliases", "keywords", "materials", "process", "basis",
             "statutory_limit", "committed_limit", "visits", "location", "online", "steps", "questions"]
ITEM = st.dictionaries(st.sampled_from(ITEM_KEYS) | st.text(max_size=6), st.one_of(
    JSON, st.sampled_from(["mz-x", "市民政局", "公共服务", "主题"]),
    st.lists(st.dictionaries(st.sampled_from(["name", "form", "copies", "title", "item"]), JSON, max_size=3),
             max_size=3)), max_size=10)


def _valid(batch: ImportBatch) -> bool:
    return isinstance(batch, ImportBatch) and all(isinstance(str(p), str) for p in batch.problems)


@EXAMPLES
@given(items=st.one_of(st.lists(ITEM, max_size=4), JSON), departments=st.one_of(
    st.lists(st.dictionaries(st.sampled_from(["id", "name", "aliases"]), JSON | st.just("市民政局"), max_size=3),
             max_size=3), JSON), centre=JSON, raw=st.text(max_size=200), use_raw=st.booleans())
def test_the_zwbot_folder_reader_reports_problems(items: Any, departments: Any, centre: Any, raw: str,
                                                  use_raw: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "items").mkdir()
        (root / "items" / "a.yml").write_text(raw if use_raw else yaml.safe_dump(items, allow_unicode=True),
                                              encoding="utf-8", errors="surrogatepass")
        (root / "departments.yml").write_text(yaml.safe_dump(departments, allow_unicode=True), encoding="utf-8")
        (root / "centre.yml").write_text(yaml.safe_dump(centre, allow_unicode=True), encoding="utf-8")
        assert _valid(read_zwbot_folder(root))
        assert _valid(read_zwbot_folder(root / "items" / "a.yml"))


def test_hostile_yaml_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    for name, content in {"control": "- id: a\x00b\n", "deep": "- " + "[" * 5000 + "]" * 5000 + "\n",
                          "bom-bad": "\ufeff- {id: [1, 2], department: [x]}\n- {id: [1, 2]}\n",
                          "tabs": "- id:\tx\n\t- y\n", "binary": "\udcff\udcfe"}.items():
        path = tmp_path / f"{name}.yml"
        path.write_text(content, encoding="utf-8", errors="surrogateescape")
        assert _valid(read_zwbot_folder(path)), name


GD_KEYS = ["TASK_CODE", "TASK_NAME", "matter_name", "CATANAME", "TASK_TYPE_TEXT", "matter_type", "matter_short",
           "subCatalogName", "handle_time", "handle_time_limit", "handle_location", "online_book", "courier_service",
           "URL", "theme_category", "DEPT_NAME", "accept_standard", "material_intro", "consult_phone",
           "complain_phone", "visit_number", "service_object_name"]


@EXAMPLES
@given(lines=st.lists(st.one_of(
    st.dictionaries(st.sampled_from(GD_KEYS), st.one_of(JSON, NUMBERISH), max_size=10).map(json.dumps),
    st.text(max_size=60), st.integers(1, 3000).map(nested)), max_size=5))
def test_the_gd_jsonl_reader_reports_problems(lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "gd.jsonl"
        path.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
        assert _valid(read_gd_jsonl(path))


@EXAMPLES
@given(header=st.one_of(st.just(TEMPLATE_COLUMNS), st.lists(st.sampled_from(TEMPLATE_COLUMNS) | st.text(max_size=5),
                                                            max_size=8)),
       rows=st.lists(st.lists(st.text(max_size=30) | NUMBERISH, max_size=30), max_size=4),
       raw=st.text(max_size=300), use_raw=st.booleans())
def test_the_csv_template_reader_reports_problems(header: list[str], rows: list[list[str]], raw: str,
                                                  use_raw: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "items.csv"
        path.write_text(raw if use_raw else _csv([header, *rows]), encoding="utf-8", errors="surrogatepass")
        assert _valid(read_csv_template(path))


def test_oversized_csv_fields_are_problems(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("id,name,department,kind\n" + "x" * 200_000 + ",甲,市民政局,公共服务\n", encoding="utf-8")
    assert not read_csv_template(path).ok


async def test_overlong_case_fields_are_problems_not_database_errors(server_url: str, api_key: str,
                                                                    tmp_path: Path) -> None:
    record = {"case_no": "XA" + "1" * 60, "item_id": "mz-lnyd", "applicant": "张" * 150, "phone": "1" * 30,
              "status": "accepted", "updated_at": "2026-12-01T09:00:00"}
    async with ClientSession(base_url=server_url) as http:
        response = await http.post("/api/cases", json=record, headers={"X-API-Key": api_key})
        problems = " ".join((await response.json())["problems"])
    assert response.status == 400 and "case_no" in problems and "applicant" in problems and "phone" in problems
    huge = tmp_path / "huge.csv"
    huge.write_text(",".join(CSV_COLUMNS) + "\n" + "X" * 200_000 + ",mz-lnyd\n", encoding="utf-8")
    _, found = read_cases_csv(huge)
    assert found and "无法解析" in str(found[0])
