"""The CSV template: one item per row, for departments that keep their guides in a spreadsheet.

List cells (aliases, keywords, citizen_words, process, basis) hold one entry per line or entries separated by "|".
The materials cell holds one material per line: `名称;形式;份数;必要|可选;备注`.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from bot.services.importers.batch import (
    ImportBatch,
    check_item,
    check_references,
    known_ids,
    parse_count,
)

COLUMNS = ["id", "name", "aliases", "keywords", "citizen_words", "department", "kind", "summary", "conditions",
           "materials", "process", "statutory_limit", "committed_limit", "limit_note", "fee", "basis", "hall", "floor",
           "window", "hours", "phone", "complaint_phone", "online_url", "online_note", "visits", "result",
           "source", "updated_at"]
REQUIRED_COLUMNS = {"id", "name", "department", "kind"}
_LIST_COLUMNS = ("aliases", "keywords", "process", "basis")
_INT_COLUMNS = ("statutory_limit", "committed_limit", "visits")


def read_csv_template(path: Path) -> ImportBatch:
    batch = ImportBatch()
    path = Path(path)
    try:
        content = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        batch.problem(str(path), "", "找不到该文件")
        return batch
    except UnicodeDecodeError:
        batch.problem(f"{path}:1", "", "文件不是 UTF-8 编码（请在表格软件中另存为 UTF-8 CSV）")
        return batch
    reader = csv.DictReader(io.StringIO(content, newline=""))
    try:
        missing = REQUIRED_COLUMNS - set(reader.fieldnames or [])
        if missing:
            batch.problem(f"{path}:1", ",".join(sorted(missing)), "表头缺少必填列")
            return batch
        unknown = set(reader.fieldnames or []) - set(COLUMNS)
        if unknown:
            batch.problem(f"{path}:1", ",".join(sorted(unknown)), "表头有无法识别的列")
        for row in reader:
            where = f"{path}:{reader.line_num}"
            record = record_from_row(row, where, batch)
            check_item(record, where, batch)
            record["_where"] = where
            batch.items.append(record)
    except csv.Error as error:  # e.g. a cell longer than the csv module's field limit
        batch.problem(f"{path}:{reader.line_num + 1}", "", f"CSV 格式错误：{error}")
        return batch
    check_references(batch, known_ids(batch.items), set())
    return batch


def record_from_row(row: dict[str, str | None], where: str, batch: ImportBatch) -> dict[str, Any]:
    """One row of the template (or the console's edit form, which has the same fields) as an item record."""
    cell = {k: (v or "").strip() for k, v in row.items() if k}
    record: dict[str, Any] = {k: cell.get(k) or None for k in
                              ("id", "name", "department", "kind", "summary", "conditions", "limit_note", "fee",
                               "hours", "phone", "complaint_phone", "result", "source", "updated_at")}
    for name in _LIST_COLUMNS:
        record[name] = _split_list(cell.get(name, ""))
    if "citizen_words" in cell:  # absent, the console's editor (which merges) leaves them as they are
        record["citizen_words"] = _split_list(cell["citizen_words"])
    for name in _INT_COLUMNS:
        value = cell.get(name, "")
        if value == "":
            record[name] = None
        elif parse_count(value) is not None:
            record[name] = parse_count(value)
        else:
            batch.problem(where, name, f"应为整数（工作日/次数），实际为 {value!r}")
            record[name] = None
    record["materials"] = _materials(cell.get("materials", ""), where, batch)
    location = {k: cell[k] for k in ("hall", "floor", "window") if cell.get(k)}
    record["location"] = location or None
    url = cell.get("online_url", "")
    record["online"] = {"url": url, "note": cell.get("online_note", "")} if url else None
    return record


def _split_list(value: str) -> list[str]:
    parts = value.replace("|", "\n").splitlines()
    return [p.strip() for p in parts if p.strip()]


def _materials(value: str, where: str, batch: ImportBatch) -> list[dict[str, Any]] | None:
    if not value:
        return None
    materials = []
    for index, line in enumerate(value.splitlines(), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(";")]
        material: dict[str, Any] = {"name": parts[0]}
        if len(parts) > 1 and parts[1]:
            material["form"] = parts[1]
        if len(parts) > 2 and parts[2]:
            if parse_count(parts[2]) is not None:
                material["copies"] = parse_count(parts[2])
            else:
                batch.problem(where, f"materials[{index}].copies", f"份数应为整数，实际为 {parts[2]!r}")
        if len(parts) > 3 and parts[3]:
            material["required"] = parts[3] not in ("可选", "否", "false", "0")
        if len(parts) > 4 and parts[4]:
            material["notes"] = parts[4]
        materials.append(material)
    return materials


def row_from_record(item: dict[str, Any]) -> dict[str, str]:
    """An item record as one row of the template (lists one entry per line)."""
    location = item.get("location") or {}
    online = item.get("online") or {}
    row: dict[str, Any] = {k: item.get(k) for k in COLUMNS if not isinstance(item.get(k), (list, dict))}
    for name in (*_LIST_COLUMNS, "citizen_words"):
        row[name] = "\n".join(item.get(name) or [])
    row["materials"] = "\n".join(
        ";".join([m.get("name", ""), m.get("form", "") or "", str(m.get("copies", "") or ""),
                  "必要" if m.get("required", True) else "可选", m.get("notes", "") or ""])
        for m in item.get("materials") or [])
    row.update(hall=location.get("hall"), floor=location.get("floor"), window=location.get("window"),
               online_url=online.get("url"), online_note=online.get("note"))
    return {k: ("" if row.get(k) is None else str(row[k])) for k in COLUMNS}


def write_csv_template(path: Path, items: list[dict[str, Any]]) -> None:
    """Write items in the CSV template (also the way to get an empty template: pass no items)."""
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for item in items:
            writer.writerow(row_from_record(item))
