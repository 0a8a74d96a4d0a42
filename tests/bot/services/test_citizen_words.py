"""knowledge/citizen_words.yml: read with the knowledge base, checked like it, and written back on export."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from bot.services.importers import read_csv_template, read_zwbot_folder, write_csv_template, write_zwbot_folder
from tests.conftest import PROJECT_DIR


def _copy_of_the_sample(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(PROJECT_DIR / "knowledge", target)
    return target


def test_the_sample_lexicon_is_folded_into_the_items_it_names() -> None:
    batch = read_zwbot_folder(PROJECT_DIR / "knowledge")
    assert batch.ok, batch.problems[:5]
    items = {r["id"]: r for r in batch.items}
    assert "牙科门诊" in items["wj-yljg"]["citizen_words"]
    # One word may need two items: a stall selling food needs both.
    assert "卤菜" in items["sj-spjy"]["citizen_words"] and "卤菜" in items["sj-gtdj"]["citizen_words"]


def test_unknown_items_and_malformed_entries_are_reported_by_line(tmp_path: Path) -> None:
    folder = _copy_of_the_sample(tmp_path)
    lexicon = folder / "citizen_words.yml"
    lines = lexicon.read_text(encoding="utf-8").splitlines()
    lexicon.write_text("\n".join([*lines, "开个书店: xx-nothing", "开个花店: [sj-gtdj, xx-gone]", "开个茶馆: 12", ""]),
                       encoding="utf-8")
    batch = read_zwbot_folder(folder)
    problems = {p.where: p.message for p in batch.problems}
    assert len(problems) == 3
    assert "xx-nothing" in problems[f"{lexicon}:{len(lines) + 1}"]
    assert "xx-gone" in problems[f"{lexicon}:{len(lines) + 2}"]
    assert "编码" in problems[f"{lexicon}:{len(lines) + 3}"]
    # The valid half of a half-valid entry is kept: the report names only what is wrong.
    assert "开个花店" in next(r for r in batch.items if r["id"] == "sj-gtdj")["citizen_words"]


def test_a_lexicon_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    folder = _copy_of_the_sample(tmp_path)
    (folder / "citizen_words.yml").write_text("- 牙科门诊\n", encoding="utf-8")
    assert [p.where for p in read_zwbot_folder(folder).problems] == [f"{folder / 'citizen_words.yml'}:1"]


def test_export_writes_the_lexicon_back_and_import_reads_the_same_words(tmp_path: Path) -> None:
    batch = read_zwbot_folder(PROJECT_DIR / "knowledge")
    items = [{k: v for k, v in r.items() if not k.startswith("_")} for r in batch.items]
    items[0]["citizen_words"] = [*(items[0].get("citizen_words") or []), "工作台刚加的一个说法"]
    write_zwbot_folder(tmp_path / "out", items, batch.departments, batch.centre)
    exported = yaml.safe_load((tmp_path / "out" / "citizen_words.yml").read_text(encoding="utf-8"))
    assert exported["工作台刚加的一个说法"] == items[0]["id"]
    assert not any("citizen_words" in r for f in (tmp_path / "out" / "items").glob("*.yml")
                   for r in yaml.safe_load(f.read_text(encoding="utf-8")))
    again = {r["id"]: sorted(r.get("citizen_words") or []) for r in read_zwbot_folder(tmp_path / "out").items}
    assert again == {r["id"]: sorted(r.get("citizen_words") or []) for r in items}


def test_the_csv_template_carries_citizen_words_both_ways(tmp_path: Path) -> None:
    batch = read_zwbot_folder(PROJECT_DIR / "knowledge")
    items = [{k: v for k, v in r.items() if not k.startswith("_")} for r in batch.items]
    write_csv_template(tmp_path / "kb.csv", items)
    again = {r["id"]: r.get("citizen_words") for r in read_csv_template(tmp_path / "kb.csv").items}
    assert again["wj-yljg"] == next(r for r in items if r["id"] == "wj-yljg")["citizen_words"]


async def test_a_knowledge_base_stored_before_citizen_words_gets_them_on_upgrade(database) -> None:  # type: ignore[no-untyped-def]
    from bot.assistant import prepare_database
    from bot.config import load_settings
    from bot.services.knowledge import KnowledgeService

    batch = read_zwbot_folder(PROJECT_DIR / "knowledge")
    for record in batch.items:  # as an earlier version stored them
        record.pop("citizen_words", None)
    batch.items[[r["id"] for r in batch.items].index("sj-spjy")]["citizen_words"] = []  # staff removed them all
    service = KnowledgeService(database)
    await service.store(batch)
    await prepare_database(load_settings(PROJECT_DIR), database, service)
    items = (await service.load()).items
    assert "牙科门诊" in items["wj-yljg"]["citizen_words"] and "卤菜" in items["sj-gtdj"]["citizen_words"]
    assert items["sj-spjy"]["citizen_words"] == []
    await prepare_database(load_settings(PROJECT_DIR), database, service)  # a second start changes nothing
    assert (await service.load()).items["wj-yljg"]["citizen_words"] == items["wj-yljg"]["citizen_words"]
