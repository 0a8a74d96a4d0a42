"""Toneless pinyin of Chinese characters, for matching homophones (老人正 → 老人证).

The table is built once with pypinyin (at training time) and travels with the trained model, so a
serving process never loads pypinyin's phrase dictionaries (~55 MB) just to look up characters.
"""

from __future__ import annotations

import re

_HAN_RANGE = range(0x4E00, 0xA000)  # CJK Unified Ideographs: everything citizens type in practice
_WORDISH = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")


class PinyinTable:
    """Character → toneless pinyin (first reading)."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table

    @classmethod
    def build(cls) -> PinyinTable:
        from pypinyin import Style, lazy_pinyin

        characters = [chr(code) for code in _HAN_RANGE]
        return cls(dict(zip(characters, lazy_pinyin(characters, style=Style.NORMAL))))

    def syllables(self, text: str) -> list[str]:
        """One syllable per Chinese character; letters and digits stand for themselves; the rest is dropped."""
        table = self.table
        return [table.get(c, c) for c in text if _WORDISH.match(c)]
