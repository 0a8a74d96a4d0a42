"""How well zwbot understands citizens, measured on held-out questions (tests/data/, not nlu_data/)."""

from __future__ import annotations

import yaml

from tests.conftest import TEST_DATA


def _load(name: str):  # type: ignore[no-untyped-def]
    return yaml.safe_load((TEST_DATA / name).read_text(encoding="utf-8"))


def test_guide_questions_find_the_right_item_aspect_and_intent(assistant) -> None:  # type: ignore[no-untyped-def]
    questions = _load("guide_questions.yml")
    top1 = top3 = aspect = intent = 0
    misses = []
    for question in questions:
        result = assistant.parse(question["text"])
        ranked = [c.item_id for c in result.candidates]
        top1 += result.item_id == question["item"]
        top3 += question["item"] in ranked[:3]
        aspect += result.aspect == question["aspect"]
        intent += result.intent == "ask_guide"
        if result.item_id != question["item"]:
            misses.append((question["text"], question["item"], ranked[:3]))
    total = len(questions)
    assert top1 / total >= 0.90, misses
    assert top3 / total >= 0.97, misses
    assert aspect / total >= 0.90
    assert intent / total >= 0.95


def test_everyday_requests_are_not_taken_as_business(assistant) -> None:  # type: ignore[no-untyped-def]
    texts = _load("out_of_scope.yml")
    taken = [t for t in texts if not assistant.parse(t).out_of_scope]
    assert len(taken) / len(texts) <= 0.05, taken


def test_intents_of_held_out_messages(assistant) -> None:  # type: ignore[no-untyped-def]
    cases = _load("intents.yml")
    wrong = [(c["text"], c["intent"], assistant.parse(c["text"]).intent) for c in cases]
    wrong = [w for w in wrong if w[1] != w[2]]
    assert len(wrong) / len(cases) <= 0.08, wrong


def test_homophones_traditional_characters_and_old_department_names(assistant) -> None:  # type: ignore[no-untyped-def]
    assert assistant.parse("老人正要带什么").item_id == "mz-lnyd"
    assert assistant.parse("營業執照要帶什麼材料").item_id == "sj-qysl"
    assert assistant.parse("质监局的锅炉使用登记怎么办").item_id == "sj-tzsb"
    assert assistant.parse("地税局新办企业税务登记").item_id == "sw-xbns"


def test_entities_are_found(assistant) -> None:  # type: ignore[no-untyped-def]
    result = assistant.parse("我的件XA202611260012办到哪了，手机13912345678")
    found = {e["entity"]: e["value"] for e in result.entities}
    assert found["case_no"] == "XA202611260012"
    assert found["phone"] == "13912345678"
    department = {e["entity"]: e for e in assistant.parse("工商局在哪").entities}["department"]
    assert department["value"] == "市市场监督管理局"
    assert "工商局在哪"[department["start"]:department["end"]] == "工商局"


def test_mood_flags_an_angry_citizen_and_not_a_calm_one(assistant) -> None:  # type: ignore[no-untyped-def]
    angry = assistant.parse("你们什么破服务，跑了三趟还办不了，态度恶劣，太过分了！").mood
    calm = assistant.parse("请问老年人优待证要带什么材料").mood
    pleased = assistant.parse("谢谢，办得很快，非常满意").mood
    assert angry.label == "angry" and angry.escalate
    assert calm.label == "neutral" and not calm.escalate
    assert pleased.label == "positive" and not pleased.escalate
