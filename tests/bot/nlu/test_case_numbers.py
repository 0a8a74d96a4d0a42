"""Case numbers by the patterns of config.yml `case_numbers` (the cases table is tests/actions/)."""

from __future__ import annotations

import pytest

from bot.config import load_settings
from bot.configuration import CaseNumbersConfig
from bot.nlu.case_numbers import CaseNumbers, number_key
from tests.conftest import PROJECT_DIR


@pytest.fixture(scope="module")
def numbers() -> CaseNumbers:
    return CaseNumbers(load_settings(PROJECT_DIR).config.case_numbers)


@pytest.mark.parametrize(("text", "found"), [
    ("查进度 xa20261120000 手机尾号1234", ["XA20261120000"]),  # XA + 11 digits
    ("spj2026000123456进度", ["SPJ2026000123456"]),
    ("受理号 61010020261120000123", ["61010020261120000123"]),
    ("xa-2026-1120-0002", ["XA202611200002"]),  # dashes and blanks inside are the same number
    ("xa 2026 1120 0002 尾号 1234", ["XA202611200002"]),
    ("010-65666606，详细地址你知道吗？", []),  # a landline
    ("我的手机13912345678", []),
    ("13912345678 1234", []),  # a phone and its last digits are not one long number
    ("身份证610102199001011234", []),
    ("ts20261126-0001", []),  # zwbot's own ticket number
    ("1234", []),
    ("2026-11-20", []),
])
def test_numbers_found(numbers: CaseNumbers, text: str, found: list[str]) -> None:
    assert [n.key for n in numbers.find(text)] == found


@pytest.mark.parametrize(("text", "digits"), [
    ("查进度 xa20261120000 手机尾号1234", "1234"),
    ("xa20261120000 5678", "5678"),  # right after the number
    ("xa202611260012办到哪了，手机13912345678", "5678"),
    ("xa202611260012 2026年办的", None),  # a year is no phone digits
])
def test_phone_digits_in_the_same_message(numbers: CaseNumbers, text: str, digits: str | None) -> None:
    last = numbers.phone_last_four(text, numbers.find(text))
    assert (last.key if last else None) == digits


def test_a_centre_sets_its_own_patterns() -> None:
    own = CaseNumbers(CaseNumbersConfig(patterns=[r"sx\d{6}"], not_patterns=[]))
    assert [n.key for n in own.find("sx123456 和 xa202611200002")] == ["SX123456"]


def test_number_keys_ignore_case_blanks_and_dashes() -> None:
    assert number_key("xa－2026 1120—0002") == "XA202611200002"
