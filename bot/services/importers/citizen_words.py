"""knowledge/citizen_words.yml: the words citizens use for a situation → the item(s) it needs.

Citizens name their situation (牙科门诊, 公司搬家, 摆摊卖卤菜), not the catalogue's title. Staff keep
this lexicon; importing folds each word into the `citizen_words` of the items it names, where the
item index and the learned matcher read it (and where the console's unanswered-question step adds
to it). Exporting writes the file back from the items.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.services.importers.batch import ImportBatch

FILE_NAME = "citizen_words.yml"
MAX_WORD = 200  # characters; a whole resolved question may be a citizen word


def read_citizen_words(path: Path, batch: ImportBatch) -> dict[str, tuple[list[str], str]]:
    """word → (item ids, "file:line"); a malformed entry is reported in `batch` and skipped."""
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except UnicodeDecodeError:
        batch.problem(f"{path}:1", "", "文件不是 UTF-8 编码")
        return {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        batch.problem(f"{path}:{mark.line + 1 if mark else 1}", "", f"YAML 格式错误：{getattr(error, 'problem', error)}")
        return {}
    if node is None:
        return {}
    if not isinstance(node, yaml.MappingNode):
        batch.problem(f"{path}:1", "", "citizen_words.yml 应为映射：市民的说法: 事项编码（或编码列表）")
        return {}
    words: dict[str, tuple[list[str], str]] = {}
    constructor = yaml.SafeLoader("")
    for key_node, value_node in node.value:
        where = f"{path}:{key_node.start_mark.line + 1}"
        word = constructor.construct_object(key_node, deep=True)
        value = constructor.construct_object(value_node, deep=True)
        if not isinstance(word, str) or not word.strip() or len(word) > MAX_WORD:
            batch.problem(where, "", f"说法应为 1–{MAX_WORD} 字的文字：{word!r}")
            continue
        ids = [value] if isinstance(value, str) else value
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i.strip() for i in ids):
            batch.problem(where, word, "应为一个事项编码或编码列表")
            continue
        words[word.strip()] = ([i.strip() for i in ids], where)
    return words


def fold_citizen_words(words: dict[str, tuple[list[str], str]], batch: ImportBatch) -> None:
    """Add each word to the `citizen_words` of the items it names; an unknown item id is a problem."""
    by_id = {r["id"]: r for r in batch.items if isinstance(r.get("id"), str)}
    for word, (ids, where) in words.items():
        for item_id in ids:
            record = by_id.get(item_id)
            if record is None:
                batch.problem(where, word, f"说法指向的事项 {item_id!r} 不存在")
                continue
            existing = record.get("citizen_words")
            if not isinstance(existing, list):
                existing = record["citizen_words"] = []
            if word not in existing:
                existing.append(word)


def citizen_words_of(items: list[dict[str, Any]]) -> dict[str, str | list[str]]:
    """The lexicon as the file holds it (word → item ids), gathered from the items' `citizen_words`."""
    words: dict[str, list[str]] = {}
    for record in items:
        for word in record.get("citizen_words") or []:
            words.setdefault(word, []).append(record["id"])
    return {w: ids[0] if len(ids) == 1 else ids for w, ids in words.items()}
