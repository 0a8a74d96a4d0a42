"""Escalation of upset citizens, measured on labelled realistic messages (tests/data/mood_labelled.yml);
long letters scored sentence by sentence; every mood setting of config.yml reaching the code."""

from __future__ import annotations

import yaml

from bot.core.mood import conversation_mood
from bot.nlu.lexicon import MoodScorer
from bot.nlu.text import normalize
from tests.conftest import TEST_DATA


def _load(name: str):  # type: ignore[no-untyped-def]
    return yaml.safe_load((TEST_DATA / name).read_text(encoding="utf-8"))


def test_escalation_catches_angry_citizens_and_spares_neutral_ones(assistant) -> None:  # type: ignore[no-untyped-def]
    messages = _load("mood_labelled.yml")
    flagged = {label: [assistant.parse(m["text"]).mood.escalate for m in messages if m["label"] == label]
               for label in ("angry", "negative", "neutral", "positive")}
    recall = sum(flagged["angry"]) / len(flagged["angry"])
    neutral_flagged = sum(flagged["neutral"]) / len(flagged["neutral"])
    assert recall >= 0.5, recall
    assert neutral_flagged <= 0.10, neutral_flagged
    assert not any(flagged["positive"])


POLITE = ("尊敬的领导您好，我是本市一名普通市民，想反映一下我办理业务的经过。我上个月到政务服务中心办理公积金提取，"
          "按照网上的指南准备了材料。窗口工作人员查看后说还缺一份证明，让我补齐后再来。第二次去的时候又说证明格式不对。"
          "希望中心能把需要的材料在指南里写清楚，方便大家一次办好。")
FURIOUS = "你们这样推来推去，简直是欺负人，我真是忍无可忍了！！"


def test_one_angry_sentence_is_not_diluted_by_a_long_polite_letter(assistant) -> None:  # type: ignore[no-untyped-def]
    scorer = MoodScorer(assistant.settings.config.mood)
    calm = scorer.score(normalize(POLITE))
    angry_alone = scorer.score(normalize(FURIOUS))
    inside = scorer.score(normalize(POLITE.replace("第二次去的时候", FURIOUS + "第二次去的时候")))
    assert not calm.escalate
    assert angry_alone.escalate and inside.escalate
    assert inside.score == angry_alone.score  # the strongest sentence counts, whatever surrounds it


def test_praise_after_an_angry_sentence_does_not_hide_it(assistant) -> None:  # type: ignore[no-untyped-def]
    scorer = MoodScorer(assistant.settings.config.mood)
    assert scorer.score(normalize(FURIOUS + "不过今天那位工作人员还是谢谢了。")).escalate


def test_escalate_at_from_config_decides_the_message_and_the_conversation(assistant) -> None:  # type: ignore[no-untyped-def]
    mood = assistant.settings.config.mood
    upset = normalize("这个流程有点麻烦")
    default = MoodScorer(mood).score(upset)
    assert not default.escalate
    lowered = MoodScorer(mood.model_copy(update={"escalate_at": default.score - 0.01})).score(upset)
    assert lowered.escalate and lowered.score == default.score
    raised = MoodScorer(mood.model_copy(update={"escalate_at": 0.95})).score(normalize("为这个证我跑了三趟了"))
    assert MoodScorer(mood).score(normalize("为这个证我跑了三趟了")).escalate and not raised.escalate

    # The conversation's threshold is config.yml's too: it reaches bot/core/mood.py through the
    # dialogue settings the agent is built with.
    parse = {"intent": {"name": "ask_guide"}, "mood": default.as_dict(), "guide": {}}
    strict = assistant.settings.config.with_changes("mood", escalate_at=default.score - 0.01)
    assert conversation_mood(parse, {}, strict.mood)[1]
    assert not conversation_mood(parse, {}, assistant.settings.config.mood)[1]


def test_conversation_weights_come_from_config(assistant) -> None:  # type: ignore[no-untyped-def]
    mood = assistant.settings.config.mood
    parse = {"intent": {"name": "ask_guide"}, "mood": {"score": 0.3, "escalate": False}, "guide": {}}
    score, escalate = conversation_mood(parse, {"misses": 3}, mood)
    assert not escalate
    heavy = assistant.settings.config.with_changes("mood", conversation={"per_miss": 0.2}).mood
    heavier, escalate = conversation_mood(parse, {"misses": 3}, heavy)
    assert heavier > score and escalate
