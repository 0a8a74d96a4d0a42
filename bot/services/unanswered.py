"""Questions zwbot could not answer, grouped when they ask the same thing, for staff to turn into
citizen words (knowledge/citizen_words.yml), an alias or a sample question of an item."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select, update

from bot.storage import Database, UnansweredQuestion

_LETTERS = re.compile(r"[^\u4e00-\u9fffA-Za-z0-9]")
_NUMBERS = re.compile(r"[0-9０-９]{5,}")  # phones, case and identity numbers: personal, and no item's words


@dataclass
class QuestionGroup:
    ids: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    @property
    def example(self) -> str:
        return min(self.texts, key=len)


def without_numbers(text: str) -> str:
    """`text` without long numbers (phones, case and identity numbers), at most 200 characters."""
    return " ".join(_NUMBERS.sub(" ", text).split())[:200]


def _bigrams(text: str) -> set[str]:
    letters = _LETTERS.sub("", text.lower())
    return {letters[i:i + 2] for i in range(len(letters) - 1)} or {letters}


class UnansweredService:
    def __init__(self, database: Database, similarity: float = 0.6) -> None:
        self.database = database
        self.similarity = similarity

    async def groups(self, reason: str | None = "no_item", limit: int = 500,
                     department: str | None = None) -> list[QuestionGroup]:
        """Open questions, similar ones together, largest groups first.

        With `department`, only questions about that department's items; without, all of them (also
        those about no department, which only admins and supervisors may see).
        Similar: most character bigrams of the shorter question occur in the other (overlap coefficient).
        """
        async with self.database.session() as session:
            query = select(UnansweredQuestion).where(UnansweredQuestion.resolved.is_(False))
            if reason:
                query = query.where(UnansweredQuestion.reason == reason)
            if department is not None:
                query = query.where(UnansweredQuestion.department == department)
            rows = (await session.scalars(query.order_by(UnansweredQuestion.id.desc()).limit(limit))).all()
        groups: list[tuple[set[str], QuestionGroup]] = []
        for row in rows:
            grams = _bigrams(row.text)
            for seen, group in groups:
                if len(grams & seen) / max(1, min(len(grams), len(seen))) >= self.similarity:
                    group.ids.append(row.id)
                    group.texts.append(row.text)
                    break
            else:
                groups.append((grams, QuestionGroup([row.id], [row.text])))
        return sorted((group for _, group in groups), key=lambda g: -len(g.ids))

    async def texts(self, ids: list[int], department: str | None = None, limit: int = 20) -> list[str]:
        """The distinct texts of these questions (with `department`: only those of that department),
        long numbers removed: they become words of the knowledge base, which is no place for a phone."""
        query = select(UnansweredQuestion.text).where(UnansweredQuestion.id.in_(ids[:500]))
        if department is not None:
            query = query.where(UnansweredQuestion.department == department)
        async with self.database.session() as session:
            texts = (await session.scalars(query.order_by(UnansweredQuestion.id))).all()
        cleaned = (without_numbers(t) for t in texts)
        return list(dict.fromkeys(t for t in cleaned if t))[:limit]

    async def resolve(self, ids: list[int], department: str | None = None) -> None:
        """Mark these questions dealt with (with `department`: only those of that department)."""
        query = update(UnansweredQuestion).where(UnansweredQuestion.id.in_(ids))
        if department is not None:
            query = query.where(UnansweredQuestion.department == department)
        async with self.database.session() as session, session.begin():
            await session.execute(query.values(resolved=True))
