"""zwbot's own format: a folder with centre.yml, departments.yml and items/*.yml (see knowledge/README.md)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from bot.services.importers.batch import (
    ImportBatch,
    check_item,
    check_references,
    known_ids,
)
from bot.services.importers.citizen_words import FILE_NAME as CITIZEN_WORDS, citizen_words_of, fold_citizen_words, \
    read_citizen_words


class _LineLoader(yaml.SafeLoader):
    """Records the line each mapping starts on, so problems can point at it."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping: dict[Any, Any] = loader.construct_mapping(node, deep=True)
    mapping["_line"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_zwbot_folder(path: Path) -> ImportBatch:
    """Read a knowledge folder (or a single items YAML file) into an ImportBatch."""
    batch = ImportBatch()
    path = Path(path)
    if path.is_file():
        _read_items_file(path, batch)
        check_references(batch, known_ids(batch.items), set())
        return batch
    if not path.is_dir():
        batch.problem(str(path), "", "找不到该文件或目录")
        return batch
    centre_file = path / "centre.yml"
    if centre_file.exists():
        centre = _load(centre_file, batch)
        if isinstance(centre, dict):
            batch.centre = _clean(centre)
        elif centre is not None:
            batch.problem(f"{centre_file}:1", "", "centre.yml 应为一个映射")
    departments_file = path / "departments.yml"
    if departments_file.exists():
        for record in _load_list(departments_file, batch):
            where = f"{departments_file}:{record.get('_line', 1)}"
            if not record.get("id") or not record.get("name"):
                batch.problem(where, "name", "部门缺少 id 或 name")
                continue
            if isinstance(record["id"], int) and not isinstance(record["id"], bool):
                record["id"] = str(record["id"])  # `id: 12` in YAML
            if not isinstance(record["id"], str) or not isinstance(record["name"], str):
                batch.problem(where, "name", "部门的 id 和 name 应为文字")
                continue
            batch.departments.append(_clean(record))
    for items_file in sorted((path / "items").glob("*.yml")) + sorted((path / "items").glob("*.yaml")):
        _read_items_file(items_file, batch)
    if (path / CITIZEN_WORDS).exists():
        fold_citizen_words(read_citizen_words(path / CITIZEN_WORDS, batch), batch)
    known_departments = {d["name"] for d in batch.departments}
    check_references(batch, known_ids(batch.items), known_departments)
    return batch


def _read_items_file(items_file: Path, batch: ImportBatch) -> None:
    for record in _load_list(items_file, batch):
        where = f"{items_file}:{record.get('_line', 1)}"
        cleaned = _clean(record)
        check_item(cleaned, where, batch)
        cleaned["_where"] = where
        batch.items.append(cleaned)


def _load(path: Path, batch: ImportBatch) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except UnicodeDecodeError:
        batch.problem(f"{path}:1", "", "文件不是 UTF-8 编码")
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line = mark.line + 1 if mark else 1
        batch.problem(f"{path}:{line}", "", f"YAML 格式错误：{error.problem}")
    except yaml.YAMLError as error:  # e.g. a control character the YAML reader refuses
        batch.problem(f"{path}:1", "", f"YAML 格式错误：{error}")
    except RecursionError:
        batch.problem(f"{path}:1", "", "YAML 嵌套层级过深")
    return None


def _load_list(path: Path, batch: ImportBatch) -> list[dict[str, Any]]:
    data = _load(path, batch)
    if data is None:
        return []
    if not isinstance(data, list):
        batch.problem(f"{path}:1", "", "文件应为记录列表")
        return []
    records = []
    for index, record in enumerate(data, 1):
        if isinstance(record, dict):
            records.append(record)
        else:
            batch.problem(f"{path}", f"[{index}]", "记录应为映射")
    return records


def _clean(value: Any) -> Any:
    """Drop line markers and turn YAML dates into ISO strings so records are JSON-ready."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if k != "_line"}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def write_zwbot_folder(path: Path, items: list[dict[str, Any]], departments: list[dict[str, Any]],
                       centre: dict[str, Any] | None) -> list[Path]:
    """Export in zwbot's format: one items file per department code (the id prefix)."""
    path = Path(path)
    (path / "items").mkdir(parents=True, exist_ok=True)
    written = []

    def dump(target: Path, data: Any) -> None:
        target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")
        written.append(target)

    if centre:
        dump(path / "centre.yml", centre)
    if departments:
        dump(path / "departments.yml", departments)
    words = citizen_words_of(items)
    if words:
        dump(path / CITIZEN_WORDS, words)
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in ({k: v for k, v in i.items() if k != "citizen_words"} for i in items):
        prefix = "themes" if item.get("kind") == "主题" else item["id"].split("-", 1)[0]
        groups.setdefault(prefix, []).append(item)
    for prefix, records in sorted(groups.items()):
        dump(path / "items" / f"{prefix}.yml", records)
    return written
