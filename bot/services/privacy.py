"""Personal numbers (个人信息保护法): ID cards, phones and bank cards masked before free text is
stored or logged. What the dialogue itself needs (a ticket's contact phone) is kept apart, encrypted.
"""

from __future__ import annotations

import logging
import re
from typing import Any

# Numbers glued to Latin letters are codes, not personal numbers: case numbers (XA202611260012) and
# ticket numbers (TS20261201-0001) stay readable. Longest first: an ID holds an 11-digit run, a card both.
_EDGE_BEFORE = r"(?<![0-9A-Za-z])"
_EDGE_AFTER = r"(?![0-9A-Za-z])"
_ID_CARD = re.compile(_EDGE_BEFORE + r"([1-9]\d{5})(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
                      + _EDGE_AFTER, re.ASCII)
# First-generation cards (until 2013): 15 digits, a two-digit year.
_OLD_ID_CARD = re.compile(_EDGE_BEFORE + r"([1-9]\d{5})\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}"
                          + _EDGE_AFTER, re.ASCII)
# 16–19 digits, bare or in groups of four.
_BANK_CARD = re.compile(_EDGE_BEFORE + r"(\d{4})(?:\d{12,15}|(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?)" + _EDGE_AFTER, re.ASCII)
_MOBILE = re.compile(r"(?<![0-9A-Za-z+])(?:\+?86[ -]?)?(1[3-9]\d)[ -]?\d{4}[ -]?(\d{4})" + _EDGE_AFTER, re.ASCII)
_LANDLINE = re.compile(_EDGE_BEFORE + r"(0\d{2,3})[ -]?\d{3,4}[ -]?(\d{4})" + _EDGE_AFTER, re.ASCII)
# Full-width digits (１３９…) are read as the numbers they are.
_SEVEN_DIGITS = re.compile(r"\d(?:[ \-－]?\d){6}")  # \d also matches full-width digits
_FULL_WIDTH = str.maketrans({**{chr(0xFF10 + n): str(n) for n in range(10)}, "Ｘ": "X", "ｘ": "x", "－": "-",
                             "＋": "+", "\u3000": " "})


def mask_personal(text: str) -> str:
    """`text` with ID-card, bank-card, mobile and landline numbers masked, keeping the leading part
    and (for phones) the last four digits, so staff still see what kind of number it was.

    Full-width digits come back half-width; text without digits comes back unchanged."""
    if not text or not _SEVEN_DIGITS.search(text):  # every number masked here has at least seven digits
        return text
    text = text.translate(_FULL_WIDTH)
    text = _ID_CARD.sub(lambda m: m.group(1) + "*" * (len(m.group(0)) - 6), text)
    text = _OLD_ID_CARD.sub(lambda m: m.group(1) + "*" * (len(m.group(0)) - 6), text)
    text = _BANK_CARD.sub(lambda m: m.group(1) + " **** **** ****", text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    return _LANDLINE.sub(lambda m: f"{m.group(1)}-****{m.group(2)}", text)


def _masked(value: Any) -> Any:
    return mask_personal(value) if isinstance(value, str) else value


class MaskingFilter(logging.Filter):
    """A logging filter that masks personal numbers in every record's message, arguments and
    traceback (an exception's message may quote what a citizen wrote). Install it on handlers."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_personal(record.msg)
        if isinstance(record.args, dict):
            record.args = {key: _masked(value) for key, value in record.args.items()}
        elif record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(_masked(a) for a in args)
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set: format the traceback once, masked.
            record.exc_text = mask_personal(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = mask_personal(record.stack_info)
        return True
