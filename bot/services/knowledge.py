"""The knowledge base: service guides stored in the database, read into an in-memory snapshot.

The database is the source of truth; `KnowledgeBase` is the read-only snapshot that answering and
retrieval work from. Every change goes through `KnowledgeService`, which bumps `version` so that
the retrieval index can rebuild before the next question.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Text, cast, delete, func, select

from bot.services.importers import ImportBatch
from bot.services.importers.batch import check_item
from bot.services.item_records import ItemRecords
from bot.storage import CentreInfo, Database, Department, Item


@dataclass(frozen=True)
class KnowledgeBase:
    """A consistent snapshot of every item, department and the centre information."""

    items: Mapping[str, dict[str, Any]] = field(default_factory=dict)  # ItemRecords when read from the database
    departments: dict[str, dict[str, Any]] = field(default_factory=dict)  # by name
    centre: dict[str, Any] = field(default_factory=dict)
    version: int = 0

    def item(self, item_id: str) -> dict[str, Any] | None:
        return self.items.get(item_id)

    def department(self, name: str) -> dict[str, Any] | None:
        return self.departments.get(name)

    def department_aliases(self) -> dict[str, str]:
        """Every name a citizen may use for a department (old names included) → its current name."""
        names: dict[str, str] = {}
        for name, record in self.departments.items():
            names[name] = name
            if record.get("full_name"):
                names[record["full_name"]] = name
            for alias in record.get("aliases") or []:
                names.setdefault(alias, name)
        return names


class KnowledgeService:
    """Reads and changes the knowledge base in the database."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._version = 0

    async def count_items(self) -> int:
        async with self.database.session() as session:
            return int(await session.scalar(select(func.count()).select_from(Item)) or 0)

    async def load(self) -> KnowledgeBase:
        async with self.database.session() as session:
            # The record's JSON text, not the parsed record: it is kept as bytes and parsed when read.
            # Streamed: a provincial catalogue's texts are never all in memory at once.
            rows = await session.stream(select(Item.id, cast(Item.record, Text)).order_by(Item.id)
                                        .execution_options(yield_per=1000))
            items = ItemRecords({item_id: ItemRecords.encoded(text) async for item_id, text in rows})
            departments = (await session.scalars(select(Department).order_by(Department.id))).all()
            centre = await session.scalar(select(CentreInfo).where(CentreInfo.id == 1))
        self._version += 1
        return KnowledgeBase(
            items=items,
            departments={row.name: row.record for row in departments},
            centre=centre.record if centre else {},
            version=self._version,
        )

    async def store(self, batch: ImportBatch, replace: bool = False) -> int:
        """Write a checked batch in one transaction; `replace` first removes every existing item.

        Returns the number of items written. A batch with problems is refused whole.
        """
        if not batch.ok:
            raise ValueError(f"导入内容有 {len(batch.problems)} 处问题，未写入")
        now = datetime.now(timezone.utc)
        async with self.database.session() as session, session.begin():
            if replace:
                await session.execute(delete(Item))
                if batch.departments:
                    await session.execute(delete(Department))
            existing_departments = {d.name: d for d in (await session.scalars(select(Department))).all()}
            for record in batch.departments:
                row = existing_departments.get(record["name"])
                if row is None:
                    row = Department(id=_unique_department_id(record["id"], existing_departments),
                                     name=record["name"], record=record)
                    session.add(row)
                    existing_departments[record["name"]] = row
                else:
                    row.record = record
            if batch.centre is not None:
                await session.merge(CentreInfo(id=1, record=batch.centre))
            existing_items = set((await session.scalars(select(Item.id))).all())
            for record in batch.items:
                clean = {k: v for k, v in record.items() if not k.startswith("_")}
                item = Item(id=clean["id"], name=clean["name"], department=clean["department"],
                            kind=clean["kind"], record=clean, updated_at=now)
                if clean["id"] in existing_items:
                    await session.merge(item)
                else:
                    session.add(item)
        return len(batch.items)


    async def adopt_citizen_words(self, words: dict[str, list[str]]) -> int:
        """Give each stored item that has never had citizen words the ones `words` (word → item ids)
        names for it; returns how many items gained some.

        A knowledge base stored before citizen words existed thus gets the shipped lexicon on upgrade,
        while an item whose words staff have edited (even to none) keeps what staff left.
        """
        wanted: dict[str, list[str]] = {}
        for word, ids in words.items():
            for item_id in ids:
                wanted.setdefault(item_id, []).append(word)
        adopted = 0
        async with self.database.session() as session, session.begin():
            for item in (await session.scalars(select(Item).where(Item.id.in_(list(wanted))))).all():
                if "citizen_words" not in item.record:
                    item.record = {**item.record, "citizen_words": wanted[item.id]}
                    adopted += 1
        return adopted


def _unique_department_id(wanted: str, existing: dict[str, Department]) -> str:
    taken = {d.id for d in existing.values()}
    candidate, number = wanted, 1
    while candidate in taken:
        number += 1
        candidate = f"{wanted}{number}"
    return candidate


async def save_item(service: KnowledgeService, knowledge: KnowledgeBase, record: dict[str, Any]) -> list[str]:
    """Check and store one edited item; the problems found (nothing is stored when there are any)."""
    batch = ImportBatch()
    check_item(record, record.get("id", "?"), batch)
    if record.get("department") not in knowledge.departments:
        batch.problem(record.get("id", "?"), "department", f"部门 {record.get('department')!r} 不在部门列表中")
    for index, step in enumerate(record.get("steps") or [], 1):
        if step.get("item") and step["item"] not in knowledge.items:
            batch.problem(record.get("id", "?"), f"steps[{index}].item", f"步骤引用的事项 {step['item']!r} 不存在")
    if not batch.ok:
        return [f"{p.field}: {p.message}" for p in batch.problems]
    record["updated_at"] = datetime.now(timezone.utc).date().isoformat()
    await service.store(ImportBatch(items=[record]))
    return []
