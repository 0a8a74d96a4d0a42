"""Long real letters (市长信箱, online consultation, Weibo): their type, their department, their mood.

The targets are measured on the held-out part of the TipDM citizen messages (bot/nlu/corpora.py),
labelled by id in tests/data/letter_labels_held_out.csv; the models never trained on those letters.
Assertion messages carry figures and counts only, never a letter's text.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pytest
import yaml
from sklearn.metrics import f1_score

from bot.nlu import corpora
from bot.nlu.letters import INTENT_OF_TYPE, LETTER_TYPES, Letter, LinearModel, labelled_letters, read_labels
from tests.conftest import PROJECT_DIR, TEST_DATA

HELD_OUT_LABELS = TEST_DATA / "letter_labels_held_out.csv"


def _held_out_letters() -> list[tuple[str, str, str]]:
    if not corpora.available(corpora.CITIZEN_MESSAGES):
        pytest.skip(f"the TipDM citizen messages are not in {corpora.corpora_dir()} (set ZWBOT_CORPORA_DIR)")
    if not HELD_OUT_LABELS.is_file():
        pytest.skip(f"{HELD_OUT_LABELS.name} (type and tone of the held-out letters) is missing")
    letters = labelled_letters(HELD_OUT_LABELS, "held_out")
    if not letters:
        pytest.skip("no held-out letter is labelled")
    return letters


@dataclass(frozen=True)
class Read:
    """What zwbot made of one held-out letter (no text: a failing assertion must not print a letter)."""

    type: str
    tone: str
    intent: str
    letter: Letter | None
    escalate: bool


@pytest.fixture(scope="module")
def held_out(assistant) -> list[Read]:  # type: ignore[no-untyped-def]
    reads = []
    for text, kind, tone in _held_out_letters():
        parsed = assistant.parse(text)
        reads.append(Read(kind, tone, parsed.intent, parsed.letter, parsed.mood.escalate))
    return reads


def _type_f1(held_out: list[Read]) -> float:
    got = [r.letter.type if r.letter is not None else "none" for r in held_out]
    return float(f1_score([r.type for r in held_out], got, average="macro", labels=list(LETTER_TYPES)))


def test_letter_types_are_told_apart_on_real_letters(held_out) -> None:  # type: ignore[no-untyped-def]
    score = _type_f1(held_out)
    assert score >= 0.75, f"macro-F1 {score:.3f} on {len(held_out)} held-out letters"
    # The type is what the dialogue does: the intent follows it (but for a short question naming an item).
    read = [r for r in held_out if r.letter is not None]
    following = sum(r.intent == INTENT_OF_TYPE[r.letter.type] for r in read if r.letter is not None)
    assert following >= 0.97 * len(read), f"{following} of {len(read)} letters take their type's intent"


def test_real_letters_are_read_as_letters_to_government(held_out) -> None:  # type: ignore[no-untyped-def]
    """A letter about a broken street light is the government's business even where the intent classifier,
    trained mostly on short messages, takes it for everyday chat."""
    read = sum(r.letter is not None for r in held_out)
    assert read >= 0.95 * len(held_out), f"{read} of {len(held_out)} held-out letters read as letters"
    assert sum(r.intent == "out_of_scope" for r in held_out) <= 0.03 * len(held_out)


def test_complaint_letters_are_routed_by_topic(held_out, assistant) -> None:  # type: ignore[no-untyped-def]
    topics = {str(r["id"]): r["label"] for r in corpora.rows(corpora.CITIZEN_MESSAGES, "held_out")}
    labelled = {key: topics[key] for key in read_labels(HELD_OUT_LABELS) if key in topics}
    letters = [(labelled[str(r["id"])], assistant.parse(r["text"]).letter)
               for r in corpora.rows(corpora.CITIZEN_MESSAGES, "held_out") if str(r["id"]) in labelled]
    expected = [topic for topic, _ in letters]
    got = [letter.topic if letter is not None else "none" for _, letter in letters]
    accuracy = sum(e == g for e, g in zip(expected, got)) / len(letters)
    assert accuracy >= 0.82, f"topic accuracy {accuracy:.3f} on {len(letters)} held-out letters"
    topic_f1 = f1_score(expected, got, average="macro", labels=sorted(set(expected)))
    assert topic_f1 >= 0.80, f"topic macro-F1 {topic_f1:.3f}"  # a letter read as no business counts as wrong
    mapping = assistant.settings.config.letters.topic_departments
    routed = [(topic, letter.department) for topic, letter in letters if letter is not None and letter.department]
    assert len(routed) >= 0.8 * len(letters), f"{len(routed)} of {len(letters)} routed"
    right = sum(department == mapping[topic] for topic, department in routed) / len(routed)
    assert right >= 0.9, f"{right:.3f} of routed letters reach their topic's department"


def _escalations(held_out: list[Read]) -> tuple[list[bool], list[bool]]:
    angry = [r.escalate for r in held_out if r.type == "complaint" and r.tone == "angry"]
    calm = [r.escalate for r in held_out if r.type == "enquiry" and r.tone == "calm"]
    if not angry or not calm:
        pytest.skip("the held-out labels hold no angry complaint or no calm enquiry")
    return angry, calm


def test_angry_letters_are_escalated_and_calm_enquiries_are_not(held_out) -> None:  # type: ignore[no-untyped-def]
    angry, calm = _escalations(held_out)
    assert sum(angry) / len(angry) >= 0.60, f"{sum(angry)} of {len(angry)} angry complaint letters escalated"
    assert sum(calm) / len(calm) <= 0.05, f"{sum(calm)} of {len(calm)} calm enquiry letters flagged"
    # Far more of the angry than of the calm: the tone is read, not the length.
    assert sum(angry) / len(angry) >= 5 * sum(calm) / len(calm)


def test_topic_departments_are_departments_of_the_centre(assistant) -> None:  # type: ignore[no-untyped-def]
    departments = {d["name"] for d in yaml.safe_load((PROJECT_DIR / "knowledge" / "departments.yml").read_text("utf-8"))}
    mapping = assistant.settings.config.letters.topic_departments
    assert set(mapping.values()) <= departments
    assert len(mapping) == 7


def test_our_letters_are_told_apart(assistant) -> None:  # type: ignore[no-untyped-def]
    """Hand-written letters to the centre (tests/data/letters.yml), in its own words, not a corpus's."""
    letters = yaml.safe_load((TEST_DATA / "letters.yml").read_text(encoding="utf-8"))
    got = [assistant.parse(x["text"]).letter for x in letters]
    # A letter the scope decision takes for no business of the centre is no letter: it counts as wrong.
    score = f1_score([x["label"] for x in letters], [g.type if g is not None else "none" for g in got],
                     average="macro", labels=["complaint", "enquiry", "suggestion"])
    assert score >= 0.6, score


def test_a_short_message_is_no_letter(assistant) -> None:  # type: ignore[no-untyped-def]
    for text in ("我要投诉", "老人证要带什么材料", "建议周末多开几个窗口", "窗口的人态度太差了，气死我了！",
                 "老人证要带啥" + "啊" * 200):  # long, but in a handful of words
        parsed = assistant.parse(text)
        assert parsed.letter is None and parsed.as_dict()["letter"] is None, text


def test_a_long_guide_question_stays_a_guide_question(assistant) -> None:  # type: ignore[no-untyped-def]
    parsed = assistant.parse("您好，我父亲今年七十五岁了，户口一直在西安，我想替他办一张老年人优待证，请问需要带哪些材料，"
                             "要去哪个窗口办理？")
    assert parsed.letter is not None and parsed.letter.type == "enquiry"
    assert parsed.intent == "ask_guide" and parsed.item_id == "mz-lnyd"


POLLUTION_LETTER = ("尊敬的领导：我家住在城东一个老小区，小区北边的化工厂每天夜里偷排废气，气味刺鼻，旁边的河道也被排出的"
                    "污水染成了黑色，居民晚上不敢开窗，孩子经常咳嗽。多次反映都没有结果，恳请相关部门尽快查处，还我们一个干净"
                    "的环境。")


async def _complain(assistant, letter: str) -> str:  # type: ignore[no-untyped-def]
    """File `letter` as a complaint through the dialogue; the acknowledgement that names the department."""
    sender = f"letter-{uuid.uuid4().hex[:8]}"
    replies = [m.text for m in await assistant.handle(letter, sender)]
    assert any("哪个部门或窗口" in r for r in replies), "the letter opens the complaint form at the place question"
    for answer in ("跳过", "上周开始", "跳过"):
        await assistant.handle(answer, sender)
    return "\n".join(m.text for m in await assistant.handle("确认", sender))


async def test_a_complaint_letter_goes_to_the_department_of_its_topic(assistant) -> None:  # type: ignore[no-untyped-def]
    if not corpora.available(corpora.CITIZEN_MESSAGES):
        pytest.skip("the topic model learns from the TipDM citizen messages, which are not here")
    parsed = assistant.parse(POLLUTION_LETTER)
    assert parsed.intent == "complain" and parsed.letter is not None and parsed.letter.topic == "环境保护"
    acknowledgement = await _complain(assistant, POLLUTION_LETTER)
    assert "已转 市生态环境局 办理" in acknowledgement


async def test_the_department_a_citizen_names_wins_over_the_topic(assistant) -> None:  # type: ignore[no-untyped-def]
    letter = POLLUTION_LETTER.replace("多次反映", "多次向城管局反映")
    acknowledgement = await _complain(assistant, letter)
    assert "已转 市城市管理和综合执法局 办理" in acknowledgement


def test_the_numpy_predictor_matches_scikit_learn() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    documents = [["w:a", "w:b"], ["w:b", "w:c", "w:c"], ["w:a", "w:d"], ["w:c", "w:d"], ["w:a"], ["w:e", "w:b"]] * 3
    labels = ["x", "y", "z", "y", "x", "z"] * 3
    model = LinearModel.fit(documents, labels, 1.0)
    vectorizer = TfidfVectorizer(analyzer=lambda d: d, sublinear_tf=True).fit(documents)
    reference = LogisticRegression(C=1.0, max_iter=1000, class_weight="balanced").fit(
        vectorizer.transform(documents), labels)
    for document in ([["w:a", "w:c"], ["w:b"], ["w:zzz"]]):
        ours = model.probabilities(document)
        theirs = reference.predict_proba(vectorizer.transform([document]))[0]
        assert np.allclose([ours[c] for c in reference.classes_], theirs, atol=1e-4)


def test_the_labels_used_for_training_are_all_of_the_training_part() -> None:
    labels = read_labels(PROJECT_DIR / "nlu_data" / "letter_labels.csv")
    if not labels or not corpora.available(corpora.CITIZEN_MESSAGES):
        pytest.skip("no letter labels or no TipDM corpus")
    held_out_ids = {str(r["id"]) for r in corpora.rows(corpora.CITIZEN_MESSAGES, "held_out")}
    assert not set(labels) & held_out_ids
    assert Counter(v["type"] for v in labels.values()).keys() <= set(LETTER_TYPES)

