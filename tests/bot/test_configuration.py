"""config.yml as one typed tree: what the shipped file holds, and what a wrong one is told."""

from __future__ import annotations

import pytest

from bot.configuration import ConfigError, Configuration, parse_configuration, read_configuration
from bot.vocabulary import TicketKind
from tests.conftest import PROJECT_DIR


def test_the_shipped_config_sets_only_keys_zwbot_knows() -> None:
    config = read_configuration(PROJECT_DIR / "config.yml")
    assert config.thresholds.fallback["ask_guide"].without_evidence == 0.8
    assert config.tickets.due_working_days[TicketKind.SUGGESTION] == 10
    assert config.aspects.not_ and config.aspects.patterns["materials"]


@pytest.mark.parametrize(("data", "problem"), [
    ({"dialogue": {"act_margn": 0.1}}, "dialogue.act_margn：没有这个设置项"),
    ({"limits": {"websockets_total": 0}}, "limits.websockets_total：应不小于 1"),
    ({"thresholds": {"fallback": {"ask_guide": {"threshold": "high"}}}}, "thresholds.fallback.ask_guide.threshold：应为数字"),
    ({"case_numbers": {"patterns": ["XA(["]}}, "case_numbers.patterns：正则表达式 'XA([' 无法编译"),
    ({"staff_hours": {"start": "9点"}}, "staff_hours.start：时间应写作 HH:MM"),
    ({"letters": {"cues": {"praise": ["表扬"]}}}, "letters.cues.praise"),
    ({"tickets": {"due_working_days": {"complaint": 5}}}, "缺少工单类型 consultation、rectification、suggestion"),
    ([1, 2], "（顶层）：应为映射"),
])
def test_a_wrong_key_or_value_is_named_by_its_path(data: object, problem: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_configuration(data, "config.yml")
    assert problem in str(refused.value)


def test_settings_cannot_change_while_zwbot_runs() -> None:
    config = Configuration()
    with pytest.raises(ValueError):
        config.dialogue.act_margin = 0.5  # type: ignore[misc]


def test_a_change_for_a_test_or_a_tool_is_checked_like_the_file() -> None:
    assert Configuration().with_changes("limits", busy_after_seconds=1).limits.busy_after_seconds == 1
    with pytest.raises(ConfigError, match="limits.busy_after_secs"):
        Configuration().with_changes("limits", busy_after_secs=1)
