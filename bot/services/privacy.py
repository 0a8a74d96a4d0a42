"""Personal numbers (个人信息保护法): ID cards, phones and bank cards masked before free text is
stored or logged. What the dialogue itself needs (a ticket's contact phone) is kept apart, encrypted.
"""

from __future__ import annotations

import logging
import re

# Longest first: an 18-character ID holds an 11-digit run, a bank card holds both.
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])([1-9]\d{5})(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])")
# 16–19 digits, bare or in groups of four; not glued to letters (case numbers such as XA2026… are not cards).
_BANK_CARD = re.compile(r"(?<![0-9A-Za-z])(\d{4})(?:\d{12,15}|(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?)(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[ -]?)?(1[3-9]\d)[ -]?\d{4}[ -]?(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})-?\d{3,4}(\d{4})(?!\d)")


def mask_personal(text: str) -> str:
    """`text` with ID-card, bank-card, mobile and landline numbers masked, keeping the leading part
    and (for phones) the last four digits, so staff still see what kind of number it was."""
    if not text or not any(c.isdigit() for c in text):
        return text
    text = _ID_CARD.sub(lambda m: m.group(1) + "*" * (len(m.group(0)) - 6), text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    text = _LANDLINE.sub(lambda m: f"{m.group(1)}-****{m.group(2)}", text)
    return _BANK_CARD.sub(lambda m: m.group(1) + " **** **** ****", text)


class MaskingFilter(logging.Filter):
    """A logging filter that masks personal numbers in every record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_personal(record.msg)
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(mask_personal(a) if isinstance(a, str) else a for a in args)
        return True
