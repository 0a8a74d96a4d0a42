"""Case numbers (受理编号) of any approval system, recognised by the patterns of config.yml `case_numbers`.

A number matches when it fits one of `patterns` and none of `not_patterns` (a mobile phone or a
landline is no case number). Numbers are compared in their `number_key` form: upper case, without
spaces and dashes, so "xa-2026 1120 0002" and "XA202611200002" are the same case. Numbers the
patterns miss are still recognised when the cases table holds them (CaseService.find_number).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from bot.configuration import CaseNumbersConfig
from bot.storage.models import case_number_key

# A run that may be one number: letters and digits, with single separators inside.
_RUN = re.compile(r"[A-Za-z0-9]+(?:[\s\-‐‑‒–—―－−_][A-Za-z0-9]+)*")
MAX_KEY_LENGTH = 40  # the cases table's case_no size
MAX_SPELLINGS = 20  # a look-up stays one small query, whatever was sent
_RIGHT_AFTER = re.compile(r"[\s,，、:：;；/]*(\d{4})(?![0-9年月日号元])")
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{5}(\d{4})(?!\d)")


number_key = case_number_key  # the form the cases table compares numbers in


@dataclass(frozen=True)
class NumberMention:
    key: str  # number_key of what was typed
    start: int
    end: int


class CaseNumbers:
    """Finds case numbers in a message by the configured patterns (no database)."""

    def __init__(self, config: CaseNumbersConfig | None = None) -> None:
        config = config or CaseNumbersConfig()
        excluded = config.not_patterns
        self._pattern = re.compile("|".join(f"(?:{p})" for p in config.patterns), re.IGNORECASE)
        self._excluded = re.compile("|".join(f"(?:{p})" for p in excluded), re.IGNORECASE) if excluded else None
        self.min_length = config.min_table_length
        cues = sorted((re.escape(c) for c in config.phone_cues if c), key=len, reverse=True)
        self._cued = re.compile(f"(?:{'|'.join(cues)})[^0-9]{{0,6}}?(?<!\\d)(\\d{{4}})(?![0-9年月日号元])") \
            if cues else None

    def spellings(self, text: str) -> list[str]:
        """Every way a number in `text` may be meant, as number keys (each token, each blank-separated
        chunk, each whole run; at least `min_table_length` characters with a digit): what to look up in
        the cases table for numbers the patterns do not know."""
        keys: dict[str, None] = {}
        for run in _RUN.finditer(text):
            raw = run.group()
            for piece in [raw, *re.findall(r"\S+", raw), *re.findall(r"[A-Za-z0-9]+", raw)]:
                key = number_key(piece)
                if self.min_length <= len(key) <= MAX_KEY_LENGTH and any(c.isdigit() for c in key):
                    keys[key] = None
        return list(keys)[:MAX_SPELLINGS]

    def find(self, text: str) -> list[NumberMention]:
        """Numbers in `text` that fit a pattern and no `not_patterns`: each letter-and-digit token as
        typed, else a run written with blanks or dashes ("XA-2026-1120-0002") read as one number."""
        found: list[NumberMention] = []
        for run in _RUN.finditer(text):
            raw = run.group()
            if self._is_excluded(raw):
                continue
            chunks = [c for c in re.finditer(r"\S+", raw)]
            excluded = [c for c in chunks if self._is_excluded(c.group())]
            parts = [(run.start() + c.start() + p.start(), p.group()) for c in chunks if c not in excluded
                     for p in re.finditer(r"[A-Za-z0-9]+", c.group())]
            single = [NumberMention(token.upper(), start, start + len(token)) for start, token in parts
                      if self._fits(token)]
            if single or len(parts) == 1 or excluded:
                # "13912345678 1234" is a phone and its last digits, never one long number.
                found += single
            elif self._fits(number_key(raw)):
                found.append(NumberMention(number_key(raw), run.start(), run.end()))
        return found

    def _is_excluded(self, text: str) -> bool:
        return self._excluded is not None and self._excluded.fullmatch(text) is not None

    def _fits(self, key: str) -> bool:
        return self._pattern.fullmatch(key) is not None and not self._is_excluded(key)

    def phone_last_four(self, text: str, numbers: list[NumberMention]) -> NumberMention | None:
        """The last four digits of the applicant's phone given in the same message: after a cue word
        ("手机尾号1234"), as a whole mobile number, or as four digits right after a case number."""
        for number in numbers:
            after = _RIGHT_AFTER.match(text, number.end)
            if after:
                return NumberMention(after.group(1), after.start(1), after.end(1))
        if self._cued is not None:
            cued = self._cued.search(text)
            if cued:
                return NumberMention(cued.group(1), cued.start(1), cued.end(1))
        mobile = _MOBILE.search(text)
        return NumberMention(mobile.group(1), mobile.start(1), mobile.end(1)) if mobile else None

    def first(self, text: str) -> str | None:
        found = self.find(text)
        return found[0].key if found else None
