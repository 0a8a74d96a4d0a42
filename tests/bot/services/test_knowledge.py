"""The knowledge base in the database: import, replace, and answers from an imported catalogue."""

from __future__ import annotations

import json

import pytest

from bot.assistant import Assistant
from bot.config import load_settings
from bot.services.importers import read_gd_jsonl, read_zwbot_folder
from bot.services.knowledge import KnowledgeService
from bot.storage import Database
from tests.conftest import PROJECT_DIR, SHARED_DIR

GD_FILE = SHARED_DIR / "data" / "gd_service_items.dev.jsonl"


async def test_store_load_and_replace(new_database_url) -> None:  # type: ignore[no-untyped-def]
    database = Database(await new_database_url())
    try:
        await database.migrate()
        service = KnowledgeService(database)
        sample = read_zwbot_folder(PROJECT_DIR / "knowledge")
        assert await service.store(sample) == len(sample.items)
        knowledge = await service.load()
        assert knowledge.item("mz-lnyd")["name"] == "老年人优待证办理"
        assert knowledge.department_aliases()["工商局"] == "市市场监督管理局"
        assert knowledge.centre["name"] == "西安市政务服务中心"

        changed = dict(knowledge.item("mz-lnyd"), fee="示例：不收费（已核对）")
        sample.items = [changed]
        await service.store(sample)
        assert (await service.load()).item("mz-lnyd")["fee"] == "示例：不收费（已核对）"
        assert await service.count_items() == len(knowledge.items)

        bad = read_zwbot_folder(PROJECT_DIR / "knowledge")
        bad.problem("x.yml:1", "id", "broken")
        with pytest.raises(ValueError):
            await service.store(bad, replace=True)
        assert await service.count_items() == len(knowledge.items)  # nothing lost
    finally:
        await database.close()


@pytest.mark.skipif(not GD_FILE.exists(), reason="shared data absent")
async def test_imported_catalogue_answers_by_name(new_database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = await new_database_url()
    database = Database(url)
    await database.migrate()
    await KnowledgeService(database).store(read_gd_jsonl(GD_FILE), replace=True)
    await database.close()
    assistant = await Assistant.start(load_settings(PROJECT_DIR, database_url=url, state_dir=tmp_path))
    try:
        rows = [json.loads(line) for line in GD_FILE.read_text(encoding="utf-8").splitlines()]
        with_materials = [r for r in rows if isinstance(r["material_intro"], list)][:60]
        names = [r["TASK_NAME"] for r in rows]
        unique = [r for r in with_materials if names.count(r["TASK_NAME"]) == 1]
        found = answered = 0
        for row in with_materials:
            best = assistant.parse(row["TASK_NAME"]).item_id
            # Records that share one name cannot be told apart by it; any of them is the right answer.
            found += best is not None and assistant.knowledge.item(best)["name"] == row["TASK_NAME"]
            replies = await assistant.handle(f"{row['TASK_NAME']}需要什么材料", f"gd-{row['TASK_CODE']}")
            text = "\n".join(r.text for r in replies)
            if text.startswith(f"【{row['TASK_NAME']}】"):  # not a "which one?" between same-named items
                answered += 1
                for material in row["material_intro"]:
                    assert material.strip() in text
        assert found / len(with_materials) >= 0.95
        assert answered / len(unique) >= 0.95

        row = next(r for r in rows if r["TASK_CODE"] == "11440000006940116U2440102002002")
        sender = "gd-basis"
        text = "\n".join(r.text for r in await assistant.handle(row["TASK_NAME"] + "要多久", sender))
        assert "承诺时限：18个工作日" in text
        text = "\n".join(r.text for r in await assistant.handle("在哪办", sender))
        assert "农林下路72号" in text
        text = "\n".join(r.text for r in await assistant.handle("设定依据是什么", sender))
        assert "没有记录设定依据" in text and "020-37628755" in text
    finally:
        await assistant.close()
