"""Masking personal numbers in free text and in logs."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.services.privacy import MaskingFilter, mask_personal
from tests.conftest import PROJECT_DIR

EXAMPLES = settings(max_examples=150, deadline=None)


@pytest.mark.parametrize("text, masked", [
    ("身份证610102199001011234，电话13912345678", "身份证610102************，电话139****5678"),
    ("身份证号61010219900101123x", "身份证号610102************"),
    ("老身份证610102900101123", "老身份证610102*********"),
    ("卡号6222 0212 3456 7890 123", "卡号6222 **** **** ****"),
    ("6222021234567890123", "6222 **** **** ****"),
    ("座机029-88881234", "座机029-****1234"),
    ("手机 139-1234-5678 或 +86 139 1234 5678", "手机 139****5678 或 139****5678"),
    ("全角１３９１２３４５６７８", "全角139****5678"),
])
def test_personal_numbers_are_masked(text: str, masked: str) -> None:
    assert mask_personal(text) == masked


@pytest.mark.parametrize("text", ["我的件XA202611260012办到哪了", "工单TS20261201-0001", "TS20261201-12345",
                                  "2026年11月26日上午9点", "20261126", "打12345热线", "收费120元", "XA13912345678"])
def test_case_and_ticket_numbers_dates_and_amounts_stay(text: str) -> None:
    assert mask_personal(text) == text


ID_CARDS = st.builds(lambda area, year, month, day, tail, check: f"{area}{year}{month:02d}{day:02d}{tail:03d}{check}",
                     st.integers(110000, 659999), st.integers(1900, 2025), st.integers(1, 12), st.integers(1, 28),
                     st.integers(0, 999), st.sampled_from("0123456789X"))
MOBILES = st.builds(lambda second, rest: f"1{second}{rest:09d}", st.sampled_from("3456789"), st.integers(0, 10**9 - 1))
CHINESE = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF), max_size=8)


@EXAMPLES
@given(before=CHINESE, number=st.one_of(ID_CARDS, MOBILES), after=CHINESE)
def test_a_number_between_words_never_survives(before: str, number: str, after: str) -> None:
    masked = mask_personal(before + number + after)
    assert number not in masked and masked.startswith(before) and masked.endswith(after)


@EXAMPLES
@given(st.text(max_size=300))
def test_any_text_is_masked_without_error_and_masking_again_changes_nothing(text: str) -> None:
    once = mask_personal(text)
    assert mask_personal(once) == once


def test_log_records_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    record = logging.LogRecord("t", logging.WARNING, __file__, 1, "citizen %s said %(x)s", None, None)
    record.args = {"x": "13912345678"}
    record.msg = "电话 %(x)s"
    MaskingFilter().filter(record)
    assert record.getMessage() == "电话 139****5678"
    try:
        raise ValueError("身份证610102199001011234")
    except ValueError:
        failed = logging.LogRecord("t", logging.ERROR, __file__, 1, "%s", ("13912345678",), sys.exc_info())
    MaskingFilter().filter(failed)
    text = logging.Formatter().format(failed)
    assert "610102199001011234" not in text and "13912345678" not in text and "610102****" in text


def test_the_command_line_masks_every_log_line() -> None:
    program = ("import logging; from bot.cli import main; main.callback(verbose=False); "
               "logging.getLogger('bot.x').warning('来信 %s', '身份证610102199001011234 手机13912345678')")
    result = subprocess.run([sys.executable, "-c", program], cwd=PROJECT_DIR, capture_output=True, text=True,
                            env=dict(os.environ, ZWBOT_HOME=str(PROJECT_DIR)), timeout=60, check=False)
    assert "来信 身份证610102************ 手机139****5678" in result.stderr, result.stderr
