"""`gd-jsonl`: the Guangdong government-service portal export (one MongoDB JSON object per line).

The item id is TASK_CODE. The export has no legal basis and no fees: those fields stay empty so
that answers say they are not recorded instead of inventing them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from bot.services.importers.batch import (
    ITEM_KINDS,
    ImportBatch,
    check_item,
    check_references,
    known_ids,
    parse_count,
)

_EMPTY = {"", "无", "null", "None"}
_LIMIT = re.compile(r"^\s*([0-9]{1,6})\s*[（(]\s*(工作日|自然日|个工作日|天|日)\s*[)）]\s*$")
_LOCATION_PREFIX = re.compile(r"^\s*办理地点[:：]\s*")


def read_gd_jsonl(path: Path) -> ImportBatch:
    """Read a gd-jsonl file; a line that is not a JSON object or lacks an id is reported and skipped."""
    batch = ImportBatch()
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        batch.problem(str(path), "", "找不到该文件")
        return batch
    except UnicodeDecodeError:
        batch.problem(f"{path}:1", "", "文件不是 UTF-8 编码")
        return batch
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as error:
            batch.problem(where, "", f"不是合法的 JSON（第 {error.colno} 列）：{error.msg}")
            continue
        except RecursionError:
            batch.problem(where, "", "JSON 嵌套层级过深")
            continue
        if not isinstance(raw, dict):
            batch.problem(where, "", "每行应为一个 JSON 对象")
            continue
        record = convert_gd_record(raw, where, batch)
        if record is not None:
            check_item(record, where, batch)
            record["_where"] = where
            batch.items.append(record)
    departments = sorted({r["department"] for r in batch.items if r.get("department")})
    batch.departments = [{"id": f"gd{index:03d}", "name": name, "aliases": []}
                         for index, name in enumerate(departments, 1)]
    check_references(batch, known_ids(batch.items), set(departments))
    return batch


def convert_gd_record(raw: dict[str, Any], where: str, batch: ImportBatch) -> dict[str, Any] | None:
    item_id = _text(raw.get("TASK_CODE"))
    name = _text(raw.get("TASK_NAME")) or _text(raw.get("matter_name")) or _text(raw.get("CATANAME"))
    if not item_id:
        batch.problem(where, "TASK_CODE", "缺少事项编码（TASK_CODE）")
        return None
    if not name:
        batch.problem(where, "TASK_NAME", "缺少事项名称（TASK_NAME / matter_name）")
        return None
    kind = _text(raw.get("TASK_TYPE_TEXT")) or _text(raw.get("matter_type")) or "其他行政权力"
    aliases = [a for a in (_text(raw.get("matter_name")), _text(raw.get("matter_short")),
                           _text(raw.get("subCatalogName"))) if a and a != name]
    statutory, statutory_text = _limit(raw.get("handle_time"), where, "handle_time", batch)
    committed, committed_text = _limit(raw.get("handle_time_limit"), where, "handle_time_limit", batch)
    notes = [t for t in (statutory_text and f"法定时限：{statutory_text}",
                         committed_text and f"承诺时限：{committed_text}") if t]
    location_text = _LOCATION_PREFIX.sub("", _text(raw.get("handle_location")))
    online_notes = []
    if _text(raw.get("online_book")) == "是":
        online_notes.append("可网上预约、网上申办")
    if _text(raw.get("courier_service")) == "是":
        online_notes.append("支持快递送达")
    url = _text(raw.get("URL"))
    record: dict[str, Any] = {
        "id": item_id,
        "name": name,
        "aliases": list(dict.fromkeys(aliases)),
        "keywords": [k for k in _list(raw.get("theme_category")) if k],
        "department": _text(raw.get("DEPT_NAME")) or "未注明部门",
        "kind": kind if kind in ITEM_KINDS else "其他行政权力",
        "conditions": _text(raw.get("accept_standard")) or None,
        "materials": [{"name": m} for m in _list(raw.get("material_intro"))],
        "statutory_limit": statutory,
        "committed_limit": committed,
        "limit_note": "；".join(notes) or None,
        "fee": None,
        "basis": [],
        "location": {"hall": location_text} if location_text and not location_text.startswith("无") else None,
        "phone": _text(raw.get("consult_phone")) or None,
        "complaint_phone": _text(raw.get("complain_phone")) or None,
        "online": {"url": url, "note": "，".join(online_notes)} if url and online_notes else None,
        "visits": _int(raw.get("visit_number")),
        "service_objects": _list(raw.get("service_object_name")),
        "source": f"广东政务服务网办事指南（gd-jsonl 导出）{url}".strip(),
    }
    if not record["materials"]:
        record["materials"] = None  # not recorded, as opposed to "no materials needed"
    return record


def _text(value: Any) -> str:
    if value is None:
        return ""
    text = str(value).strip()
    return "" if text in _EMPTY else text


def _list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [t for t in (_text(v) for v in value) if t]
    text = _text(value)
    return [text] if text else []


def _int(value: Any) -> int | None:
    text = _text(value)
    return parse_count(text)


def _limit(value: Any, where: str, field: str, batch: ImportBatch) -> tuple[int | None, str | None]:
    """'20(工作日)' → (20, None); '90(自然日)' → (None, '90个自然日'); '无' → (None, None)."""
    text = _text(value)
    if not text:
        return None, None
    match = _LIMIT.match(text)
    if not match:
        batch.problem(where, field, f"无法识别的时限：{text!r}")
        return None, None
    days, unit = int(match.group(1)), match.group(2)
    if "工作日" in unit:
        return days, None
    return None, f"{days}个自然日"
