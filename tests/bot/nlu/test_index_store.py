"""A large catalogue's item index is built once in a child process, kept in the models folder, and read
back by every later start; it finds what an index built in process finds, and a changed knowledge base
is never answered from a stale index."""

from __future__ import annotations

import asyncio
import concurrent.futures
from pathlib import Path

import pytest

from bot.assistant import load_knowledge_base
from bot.config import load_settings
from bot.nlu import index_store
from bot.nlu.interpreter import Interpreter
from bot.nlu.model import train_model
from bot.nlu.training_data import read_path
from bot.services.item_records import ItemRecords
from tests.conftest import PROJECT_DIR

QUESTIONS = ["老人证要带什么材料", "公积金怎么提取", "想开个牙科门诊要办哪些手续", "公司搬家了营业执照要怎么弄",
             "在菜市场摆摊卖卤菜要什么证", "俺家娃要上户口咋弄", "lao ren zheng"]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    settings = load_settings(PROJECT_DIR)
    state = tmp_path_factory.mktemp("state")
    knowledge = asyncio.run(load_knowledge_base(settings.__class__(**{
        **settings.__dict__, "database_url": f"sqlite+aiosqlite:///{state}/kb.db"})))
    data = read_path(settings.nlu_data_dir)
    aliases = knowledge.department_aliases()
    return settings, data, knowledge.items, aliases, train_model(data, knowledge.items, aliases, settings.config)


def answers(interpreter: Interpreter) -> list[list[str]]:
    return [[c.item_id for c in interpreter.parse(q).candidates] for q in QUESTIONS]


def test_a_large_catalogue_is_indexed_once_and_read_back(inputs, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    settings, data, items, aliases, model = inputs
    assert isinstance(items, ItemRecords)
    in_process = Interpreter.build(model, data, items, aliases, settings.config)
    monkeypatch.setattr(index_store, "BUILT_APART_FROM", 10)  # the sample catalogue counts as large here
    built = Interpreter.build(model, data, items, aliases, settings.config, tmp_path)
    saved = list(tmp_path.glob("index-*.pkl"))
    assert len(saved) == 1
    assert answers(built) == answers(in_process) and any(answers(in_process))

    def no_child(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the index was built again")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", no_child)
    monkeypatch.setattr(index_store, "ProcessPoolExecutor", no_child)
    again = Interpreter.build(model, data, items, aliases, settings.config, tmp_path)
    assert answers(again) == answers(in_process)


def test_a_changed_item_gets_a_new_index_and_the_old_one_goes(inputs, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    settings, data, items, aliases, model = inputs
    monkeypatch.setattr(index_store, "BUILT_APART_FROM", 10)
    Interpreter.build(model, data, items, aliases, settings.config, tmp_path)
    first = {p.name for p in tmp_path.glob("index-*.pkl")}
    records = dict(items)
    lnr = next(i for i, r in records.items() if r["name"] == "老年人优待证办理")
    records[lnr] = {**records[lnr], "aliases": [*(records[lnr].get("aliases") or []), "敬老卡片"]}
    changed = Interpreter.build(model, data, ItemRecords.from_records(records), aliases, settings.config, tmp_path)
    second = {p.name for p in tmp_path.glob("index-*.pkl")}
    assert len(second) == 1 and second != first
    assert [c.item_id for c in changed.parse("敬老卡片怎么办").candidates][:1] == [lnr]
