"""The aspect of colloquial guide questions (config.yml `aspects`), measured on questions we wrote
(tests/data/guide_aspects_colloquial.yml), on an outsider's development set (tests/data/guide_aspects_dev.yml,
and tests/data/guide_aspects_dev2.yml, tuned on) and, when present, on an outsider's held-out set (never tuned on)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.config import load_settings
from bot.configuration import ConfigError, parse_configuration
from bot.nlu.aspects import AspectDetector
from tests.conftest import PROJECT_DIR, TEST_DATA

HELD_OUT = TEST_DATA / "heldout" / "guide_colloquial.yml"
DEV = TEST_DATA / "guide_aspects_dev.yml"
DEV2 = TEST_DATA / "guide_aspects_dev2.yml"  # a second outsider's development set, all aspects (tuned on)


@pytest.fixture(scope="module")
def detector() -> AspectDetector:
    return AspectDetector(load_settings(PROJECT_DIR).config.aspects)


@pytest.mark.parametrize(("question", "aspect"), [
    ("俺爹要办那个老人证，得带些啥东西啊", "materials"),
    ("得准备啥", "materials"),
    ("得花多少钱", "fee"),
    ("收不收钱", "fee"),
    ("能办吗", "conditions"),
    ("行不行", "conditions"),
    ("符合条件吗", "conditions"),
    ("外地户口能办吗", "conditions"),
    ("几天能拿到", "time_limit"),
    ("在哪儿办", "location"),
    ("几楼", "location"),
    ("哪个窗口", "location"),
    ("网上能办吗", "online"),  # a strong cue beats the weak "能办吗"
    ("怎么办", None),  # a process-or-overview question
])
def test_colloquial_cues(detector: AspectDetector, question: str, aspect: str | None) -> None:
    assert detector.detect(question) == aspect


@pytest.mark.parametrize(("question", "aspect"), [
    # A yes/no question about the applicant or the situation asks whether they qualify …
    ("外地户口能办不", "conditions"),
    ("俺爷六十五了够不够办老年证啊", "conditions"),
    ("没有营业执照能申请吗", "conditions"),
    ("残疾证过期半年了还能换吗", "conditions"),
    ("只卖包装好的零食，还用办许可证吗", "conditions"),
    ("美容店需不需要办卫生许可", "conditions"),
    ("公章丢了补刻，要不要先登报作废", "conditions"),
    ("开养老院是要审批还是备案就行", "conditions"),
    # … unless it names another aspect.
    ("要带户口本吗", "materials"),
    ("办这个要钱不", "fee"),
    ("当天能拿到不", "time_limit"),
    ("周六能去办不", "location"),
    ("能网上办不", "online"),
    # Words that describe the situation are no cue for their aspect.
    ("缴费不够十五年还能办退休不", "conditions"),
    ("在家里做蛋糕网上卖，需要办许可证不", "conditions"),
    ("没有办公室，用自己住的房子地址能注册公司不", "conditions"),
    ("材料不全能先受理吗", "conditions"),
    ("医药费能报销不", "conditions"),
    # Asking to be told is no yes/no question.
    ("营业执照能具体说说吗", None),
    ("可以咨询一下营业执照吗", None),
])
def test_yes_no_questions_ask_for_the_conditions(detector: AspectDetector, question: str,
                                                 aspect: str | None) -> None:
    assert detector.detect(question) == aspect


def test_a_proxy_question_asks_for_the_conditions(detector: AspectDetector) -> None:
    for question in ("别人能代办吗", "我替我爹去办，不是他本人去，行不行", "需要本人去吗"):
        read = detector.read(question)
        assert (read.aspect, read.proxy) == ("conditions", True), question
    # A proxy who asks what to bring asks for the materials.
    assert detector.read("代办要带什么").aspect == "materials"
    assert not detector.read("要带什么").proxy


def test_a_negative_phrase_is_no_cue(detector: AspectDetector) -> None:
    assert detector.detect("我在网上看到要带户口本，是真的吗") == "materials"
    assert detector.detect("我在网上看到的，是真的吗") is None


def test_unknown_aspect_names_are_refused() -> None:
    with pytest.raises(ConfigError, match="aspects.matrials：没有这个设置项"):
        parse_configuration({"aspects": {"matrials": ["材料"]}}, "config.yml")
    with pytest.raises(ConfigError, match="aspects.patterns.fees"):
        parse_configuration({"aspects": {"patterns": {"fees": ["钱"]}}}, "config.yml")


def _right(rows: list[dict], parse) -> tuple[int, int, list]:  # type: ignore[no-untyped-def]
    """Of the rows zwbot reads as guide questions (the intent has its own tests), how many get the
    right aspect; overview counts for a process ("怎么办") question."""
    right, asked, wrong = 0, 0, []
    for row in rows:
        result = parse(row["question"])
        if result.intent != "ask_guide":
            continue
        asked += 1
        got = result.aspect or "overview"
        if got == row["aspect"] or (row["aspect"] == "process" and got == "overview"):
            right += 1
        else:
            wrong.append((row["question"], row["aspect"], got))
    return right, asked, wrong


def _rows(path: Path) -> list[dict]:
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [r for r in rows if r.get("items") and r.get("aspect")]  # in-scope rows with an aspect


def test_aspects_of_colloquial_questions(assistant) -> None:  # type: ignore[no-untyped-def]
    right, asked, wrong = _right(_rows(TEST_DATA / "guide_aspects_colloquial.yml"), assistant.parse)
    assert asked >= 100 and right / asked >= 0.95, wrong


def test_aspects_of_the_outsiders_development_set(assistant) -> None:  # type: ignore[no-untyped-def]
    rows = _rows(DEV)
    right, asked, wrong = _right(rows, assistant.parse)
    assert asked >= 280 and right / asked >= 0.97, wrong
    # Yes/no eligibility questions were the weak spot (32 of 87 right on the held-out set before).
    conditions = [r for r in rows if r["aspect"] == "conditions"]
    right, asked, wrong = _right(conditions, assistant.parse)
    assert asked >= 110 and right / asked >= 0.95, wrong


def test_aspects_of_the_second_development_set(assistant) -> None:  # type: ignore[no-untyped-def]
    right, asked, wrong = _right(_rows(DEV2), assistant.parse)
    assert asked >= 500 and right / asked >= 0.95, wrong
    # "俺爸满六十了 这个咋弄" asks how to get it done: the story's cue words are no aspect.
    overview = [r for r in _rows(DEV2) if r["aspect"] == "overview"]
    right, asked, wrong = _right(overview, assistant.parse)
    assert asked >= 100 and right / asked >= 0.95, wrong


def test_aspects_of_held_out_colloquial_questions(assistant) -> None:  # type: ignore[no-untyped-def]
    if not HELD_OUT.exists():
        pytest.skip(f"{HELD_OUT.relative_to(PROJECT_DIR)} (an outsider's question set) is not there")
    right, asked, wrong = _right(_rows(HELD_OUT), assistant.parse)
    # Measured only, never tuned on (no question text in the message). The goal is 0.90; the cue lists
    # reach 0.915 of the rows read as guide questions (after tuning on the development sets).
    assert right / asked >= 0.90, f"{right}/{asked} right, {len(wrong)} wrong"
