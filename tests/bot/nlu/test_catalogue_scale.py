"""A real provincial catalogue (the Guangdong corpus) still finds its items by name and by a shortened
name, measured on the held-out part of the corpus only (the whole catalogue is imported and indexed)."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest

from bot.config import load_settings
from bot.nlu import corpora
from bot.nlu.guide_evaluation import GuideQuestion, evaluate
from bot.nlu.interpreter import Interpreter
from bot.nlu.training_data import read_path
from bot.services.importers import read_gd_jsonl
from tests.conftest import PROJECT_DIR

_BRACKETS = re.compile(r"[（(][^（()）]*[)）]")
_PREFIXES = ("广东省", "广州市", "省", "市")
_ACTS = ("审批", "核准", "备案", "登记", "查询", "许可", "申请", "办理", "审核", "认定", "服务", "指引", "核发", "注册",
         "发布", "公示", "确认", "咨询")


def shortened(name: str, department: str) -> str:
    """How a citizen shortens an item's name: without its bracket parts and the department or region
    in front; a name with neither loses its closing act word (审批, 备案 …), else keeps its first 70 %."""
    short = _BRACKETS.sub("", _BRACKETS.sub("", name)).strip()
    for prefix in (department, *_PREFIXES):
        if prefix and short.startswith(prefix) and len(short) - len(prefix) >= 4:
            short = short[len(prefix):]
    if short == name:
        act = next((a for a in _ACTS if short.endswith(a) and len(short) - len(a) >= 4), None)
        short = short[:-len(act)] if act else short[:max(4, math.ceil(len(short) * 0.7))]
    return short


@pytest.fixture(scope="module")
def catalogue() -> tuple[Interpreter, dict[str, dict[str, Any]]]:
    if not corpora.available(corpora.GUANGDONG_ITEMS):
        pytest.skip(f"the Guangdong catalogue is not in {corpora.corpora_dir()} (set ZWBOT_CORPORA_DIR)")
    batch = read_gd_jsonl(corpora.corpora_dir() / corpora.GUANGDONG_ITEMS)
    items = {r["id"]: {k: v for k, v in r.items() if not k.startswith("_")} for r in batch.items}
    departments = {d["name"]: d["name"] for d in batch.departments}
    settings = load_settings(PROJECT_DIR)
    return Interpreter.train(read_path(settings.nlu_data_dir), items, departments, settings.config), items


def test_held_out_items_are_found_by_name_and_by_a_shortened_name(catalogue) -> None:  # type: ignore[no-untyped-def]
    interpreter, items = catalogue
    by_name: dict[str, set[str]] = {}
    by_short: dict[str, set[str]] = {}
    for item_id, record in items.items():
        by_name.setdefault(record["name"], set()).add(item_id)
        by_short.setdefault(shortened(record["name"], record["department"]), set()).add(item_id)
    named, short = [], []
    for row in corpora.rows(corpora.GUANGDONG_ITEMS, "held_out"):
        record = items.get(row.get("TASK_CODE") or "")
        if record is None:
            continue
        # Records that share a name (or a shortened name) cannot be told apart by it: any of them is right.
        named.append(GuideQuestion(record["name"], tuple(sorted(by_name[record["name"]])), None))
        query = shortened(record["name"], record["department"])
        if query != record["name"] and len(query) >= 4:
            short.append(GuideQuestion(query, tuple(sorted(by_name[record["name"]] | by_short[query])), None))
    assert len(named) > 300 and len(short) > 300  # the held-out part is about a third of the catalogue
    by_name_report, short_report = evaluate(named, interpreter.parse), evaluate(short, interpreter.parse)
    # Only ids in messages: the corpus is not printed.
    assert by_name_report["item_at_1"] >= 0.97, (by_name_report["item_at_1"],
                                                 [m["expected_items"][0] for m in by_name_report["misses"]][:20])
    assert short_report["item_at_3"] >= 0.90, (short_report["item_at_3"],
                                               [m["expected_items"][0] for m in short_report["misses"]][:20])


def test_the_matcher_keeps_a_bounded_number_of_features_per_item(catalogue) -> None:  # type: ignore[no-untyped-def]
    interpreter, items = catalogue
    matcher = interpreter.index.matcher
    assert matcher.size == len(items)
    assert matcher.stored_weights <= matcher.max_features * len(items)
    assert matcher.vocabulary_size <= matcher.stored_weights
