"""Escalation of upset citizens, measured on labelled realistic messages (tests/data/mood_labelled.yml),
and complaint / enquiry / suggestion on realistic letters (tests/data/letters.yml)."""

from __future__ import annotations

import yaml
from sklearn.metrics import f1_score

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


def test_letters_are_told_apart(assistant) -> None:  # type: ignore[no-untyped-def]
    letters = _load("letters.yml")
    predicted = []
    for letter in letters:
        ranking = dict(assistant.parse(letter["text"]).ranking)
        scores = {"complaint": ranking.get("complain", 0.0), "suggestion": ranking.get("suggest", 0.0),
                  "enquiry": sum(ranking.get(k, 0.0) for k in ("ask_guide", "ask_centre", "query_progress"))}
        predicted.append(max(scores, key=scores.get))
    assert f1_score([x["label"] for x in letters], predicted, average="macro") >= 0.70
