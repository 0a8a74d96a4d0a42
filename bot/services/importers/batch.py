"""What an importer produces, and the checks every item record must pass."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

ITEM_KINDS = ("行政许可", "非行政许可审批", "公共服务", "行政确认", "行政给付", "行政征收", "行政裁决",
              "行政奖励", "其他行政权力", "主题")
MATERIAL_FORMS = ("原件", "复印件", "原件及复印件", "电子版")
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,79}\Z")
MAX_LENGTHS = {"name": 300, "department": 100}  # the items table's columns
_COUNT = re.compile(r"^[0-9]{1,9}$")


def parse_count(text: str) -> int | None:
    """A whole number of days, visits or copies written in ASCII digits; None for anything else
    ("²" and "٣" are digits to `str.isdigit`, and a 5,000-digit number is no count)."""
    return int(text) if _COUNT.match(text) else None


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with the input, precise enough to find and fix it."""

    where: str  # "file:line"
    field: str
    message: str

    def __str__(self) -> str:
        field = f" [{self.field}]" if self.field else ""
        return f"{self.where}{field}: {self.message}"


@dataclass
class ImportBatch:
    """Records read from one source, ready to be stored, plus the problems found reading them."""

    items: list[dict[str, Any]] = field(default_factory=list)
    departments: list[dict[str, Any]] = field(default_factory=list)
    centre: dict[str, Any] | None = None
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, where: str, field_name: str, message: str) -> None:
        self.problems.append(ImportProblem(where, field_name, message))


def check_item(record: dict[str, Any], where: str, batch: ImportBatch) -> None:
    """Append to `batch` every way `record` falls short of the item schema (DESIGN §4)."""
    item_id = record.get("id")
    if not isinstance(item_id, str) or not ID_PATTERN.match(item_id):
        batch.problem(where, "id", f"缺少或不合法的事项编码：{item_id!r}")
    for name in ("name", "department", "kind"):
        if not isinstance(record.get(name), str) or not record[name].strip():
            batch.problem(where, name, "必填字段为空")
        elif len(record[name]) > MAX_LENGTHS.get(name, 100):
            batch.problem(where, name, f"过长（最多 {MAX_LENGTHS.get(name, 100)} 字）")
    if isinstance(record.get("kind"), str) and record["kind"] not in ITEM_KINDS:
        batch.problem(where, "kind", f"事项类型应为 {'/'.join(ITEM_KINDS)} 之一，实际为 {record['kind']!r}")
    for name in ("aliases", "keywords", "process", "basis", "questions", "citizen_words", "alternatives"):
        value = record.get(name)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            batch.problem(where, name, "应为文字列表")
    materials = record.get("materials")
    if materials is not None:
        if not isinstance(materials, list):
            batch.problem(where, "materials", "应为材料列表")
        else:
            for index, material in enumerate(materials, 1):
                _check_material(material, f"materials[{index}]", where, batch)
    for name in ("statutory_limit", "committed_limit", "visits"):
        value = record.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            batch.problem(where, name, f"应为非负整数（工作日/次数），实际为 {value!r}")
    location = record.get("location")
    if location is not None and not isinstance(location, dict):
        batch.problem(where, "location", "应为 {hall, floor, window}")
    online = record.get("online")
    if online is not None and not (isinstance(online, dict) and isinstance(online.get("url", ""), str)):
        batch.problem(where, "online", "应为 {url, note} 或留空")
    steps = record.get("steps")
    if steps is not None and (not isinstance(steps, list)
                              or not all(isinstance(s, dict) and s.get("title") for s in steps)):
        batch.problem(where, "steps", "主题步骤应为 {title, item, note} 列表")


def _check_material(material: Any, field_name: str, where: str, batch: ImportBatch) -> None:
    if not isinstance(material, dict) or not str(material.get("name", "")).strip():
        batch.problem(where, field_name, "材料缺少名称")
        return
    form = material.get("form")
    if form is not None and form not in MATERIAL_FORMS:
        batch.problem(where, f"{field_name}.form", f"应为 {'/'.join(MATERIAL_FORMS)} 之一，实际为 {form!r}")
    copies = material.get("copies")
    if copies is not None and (not isinstance(copies, int) or isinstance(copies, bool) or copies < 0):
        batch.problem(where, f"{field_name}.copies", f"份数应为非负整数，实际为 {copies!r}")


def check_references(batch: ImportBatch, known_items: set[str], known_departments: set[str]) -> None:
    """Cross-record checks: unique ids, departments that exist, theme steps naming real items.

    Values of the wrong type were reported by `check_item` already and are skipped here."""
    seen: dict[str, str] = {}
    for record in batch.items:
        where = record.get("_where", "?")
        item_id = record.get("id")
        if isinstance(item_id, str):
            if item_id in seen:
                batch.problem(where, "id", f"事项编码 {item_id} 重复（另见 {seen[item_id]}）")
            seen[item_id] = where
        department = record.get("department")
        if known_departments and isinstance(department, str) and department not in known_departments:
            batch.problem(where, "department", f"部门 {department!r} 不在部门列表中")
        alternatives = record.get("alternatives")
        for other in alternatives if isinstance(alternatives, list) else []:
            if other not in known_items:
                batch.problem(where, "alternatives", f"可替代事项 {other!r} 不存在")
        steps = record.get("steps")
        for index, step in enumerate(steps if isinstance(steps, list) else [], 1):
            item = step.get("item") if isinstance(step, dict) else None
            if item and (not isinstance(item, str) or item not in known_items):
                batch.problem(where, f"steps[{index}].item", f"步骤引用的事项 {item!r} 不存在")


def known_ids(records: list[dict[str, Any]]) -> set[str]:
    """The item ids among `records` (ids that are not text were reported as problems)."""
    return {r["id"] for r in records if isinstance(r.get("id"), str)}
