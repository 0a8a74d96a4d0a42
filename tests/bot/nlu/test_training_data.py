from pathlib import Path

import pytest

from bot.nlu.training_data import TrainingDataError, parse_example, read_file, read_path

PROJECT = Path(__file__).resolve().parents[3]


def test_entity_annotations_are_stripped_and_kept_as_spans() -> None:
    example = parse_example("[工商局](department)在哪办[营业执照]{\"entity\": \"item\", \"value\": \"企业设立登记\"}",
                            "ask_guide")
    assert example.text == "工商局在哪办营业执照"
    assert example.entities == (("department", "工商局", 0, 3), ("item", "企业设立登记", 6, 10))


def test_project_training_data_has_every_required_intent_with_30_examples() -> None:
    data = read_path(PROJECT / "nlu_data")
    counts = {intent: sum(1 for e in data.examples if e.intent == intent) for intent in data.intents}
    for intent in ("ask_guide", "query_progress", "complain", "suggest", "rate", "request_human", "greet",
                   "thank", "goodbye", "affirm", "deny", "chitchat", "out_of_scope"):
        assert counts.get(intent, 0) >= 30, intent
    assert {"case_no", "phone", "id_number"} <= set(data.regexes)
    assert {"department", "item"} <= set(data.lookups)
    assert data.synonyms["工商局"] == "市市场监督管理局"


def test_a_broken_file_names_itself(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text('version: "3.1"\nnlu:\n  - intent: greet\n    examples: |\n      你好\n', encoding="utf-8")
    with pytest.raises(TrainingDataError, match="bad.yml"):
        read_file(bad)
