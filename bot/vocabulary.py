"""The kinds, statuses and levels of what the centre records, with the Chinese words staff and
citizens read. Code names them by member; the database stores the values; every list, page and
report takes its words from `label`.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class TicketKind(StrEnum):
    """What a ticket is; its number starts with `prefix` (TS20261201-0001)."""

    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"
    RECTIFICATION = "rectification"  # opened by a 不满意 or 非常不满意 rating
    CONSULTATION = "consultation"  # a question left for staff outside their hours

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]

    @property
    def prefix(self) -> str:
        return _KIND_PREFIXES[self]

    @classmethod
    def from_citizen(cls) -> tuple[TicketKind, ...]:
        """The kinds a citizen opens (counted against the per-citizen ticket limits)."""
        return (cls.COMPLAINT, cls.SUGGESTION, cls.RECTIFICATION)


_KIND_LABELS = {TicketKind.COMPLAINT: "投诉", TicketKind.SUGGESTION: "建议", TicketKind.RECTIFICATION: "差评整改",
                TicketKind.CONSULTATION: "咨询"}
_KIND_PREFIXES = {TicketKind.COMPLAINT: "TS", TicketKind.SUGGESTION: "JY", TicketKind.RECTIFICATION: "ZG",
                  TicketKind.CONSULTATION: "ZX"}


class TicketStatus(StrEnum):
    """Where a ticket stands; it moves forward in this order. The value is the word staff read."""

    PENDING = "待受理"
    IN_PROGRESS = "处理中"
    ANSWERED = "已答复"
    VISITED = "已回访"
    CLOSED = "已办结"

    @property
    def label(self) -> str:
        return self.value


class RatingLevel(IntEnum):
    """A 好差评 level as the citizen gives it (5 best); 3 and above count as satisfied."""

    VERY_SATISFIED = 5
    SATISFIED = 4
    FAIRLY_SATISFIED = 3
    DISSATISFIED = 2
    VERY_DISSATISFIED = 1

    @property
    def label(self) -> str:
        return _LEVEL_LABELS[self]

    @property
    def satisfied(self) -> bool:
        return self >= RatingLevel.FAIRLY_SATISFIED

    @property
    def opens_rectification(self) -> bool:
        """不满意 or worse opens a 差评整改 ticket."""
        return self <= RatingLevel.DISSATISFIED


_LEVEL_LABELS = {RatingLevel.VERY_SATISFIED: "非常满意", RatingLevel.SATISFIED: "满意",
                 RatingLevel.FAIRLY_SATISFIED: "基本满意", RatingLevel.DISSATISFIED: "不满意",
                 RatingLevel.VERY_DISSATISFIED: "非常不满意"}
