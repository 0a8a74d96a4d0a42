"""`zwbot test guide`'s evaluator: reading a centre's question file, the figures it reports, and zwbot
measured with it on guide questions it was not tuned on."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlu.guide_evaluation import GuideQuestion, GuideQuestionsError, evaluate, read_guide_questions
from bot.nlu.interpreter import ParseResult
from bot.nlu.retrieval import Candidate
from tests.conftest import TEST_DATA

COLLOQUIAL = TEST_DATA / "heldout" / "guide_colloquial.yml"


def test_yaml_and_csv_files_read_the_same(tmp_path: Path) -> None:
    yaml_file = tmp_path / "q.yml"
    yaml_file.write_text("- question: 老人证要带啥\n  items: [mz-lnyd]\n  aspect: materials\n"
                         "- {question: 放首歌, items: []}\n- {text: 营业执照怎么办, item: sj-qysl, aspect: process}\n",
                         encoding="utf-8")
    csv_file = tmp_path / "q.csv"
    csv_file.write_text("question,items,aspect\n老人证要带啥,mz-lnyd,materials\n放首歌,,\n营业执照怎么办,sj-qysl,process\n",
                        encoding="utf-8")
    expected = [GuideQuestion("老人证要带啥", ("mz-lnyd",), "materials"), GuideQuestion("放首歌", (), None),
                GuideQuestion("营业执照怎么办", ("sj-qysl",), "process")]
    assert read_guide_questions(yaml_file) == read_guide_questions(csv_file) == expected
    two = tmp_path / "two.csv"
    two.write_text("question,items,aspect\n开饭店,theme-cyqy|sj-spjy,overview\n", encoding="utf-8")
    assert read_guide_questions(two)[0].items == ("theme-cyqy", "sj-spjy")


@pytest.mark.parametrize("content", ["- question: 老人证\n  aspect: 材料\n  items: [mz-lnyd]\n", "question: x\n",
                                     "- {items: [mz-lnyd]}\n", ""])
def test_a_bad_file_is_refused_with_a_reason(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(GuideQuestionsError):
        read_guide_questions(path)


def _result(text: str, intent: str, item: str | None, aspect: str | None, ranked: list[str]) -> ParseResult:
    return ParseResult(text, intent, 0.9, [(intent, 0.9)], item_id=item, aspect=aspect,
                       candidates=[Candidate(i, i, 5.0, False) for i in ranked])


def test_the_report_counts_first_item_top_three_aspect_and_out_of_scope() -> None:
    answers = {
        "q1": _result("q1", "ask_guide", "a", "materials", ["a", "b"]),          # right
        "q2": _result("q2", "ask_guide", "b", "overview", ["b", "c", "a"]),       # second-best item, overview for process
        "q3": _result("q3", "ask_guide", None, "fee", []),                       # nothing found: an in-scope miss
        "q4": _result("q4", "out_of_scope", None, None, []),                     # rightly out of scope
        "q5": _result("q5", "ask_guide", "a", "overview", ["a"]),                 # out of scope, answered with an item
    }
    questions = [GuideQuestion("q1", ("a",), "materials"), GuideQuestion("q2", ("a",), "process"),
                 GuideQuestion("q3", ("c",), "time_limit"), GuideQuestion("q4", (), None), GuideQuestion("q5", (), None)]
    report = evaluate(questions, answers.__getitem__)
    assert (report["item_at_1"], report["item_at_3"], report["aspect_accuracy"]) == (0.3333, 0.6667, 0.6667)
    # Taken as out of scope: q4, and q3 (a guide question about nothing we hold); q4 and q5 really are.
    assert report["out_of_scope"] == {"questions": 2, "precision": 0.5, "recall": 0.5, "answered_with_an_item": 1}
    assert [m["question"] for m in report["misses"]] == ["q2", "q3", "q5"]
    assert report["misses"][0]["wrong"] == ["item"]  # overview counts for a process question


def test_our_guide_questions_find_their_items(assistant) -> None:  # type: ignore[no-untyped-def]
    report = evaluate(read_guide_questions(TEST_DATA / "guide_questions.yml"), assistant.parse)
    assert report["item_at_1"] >= 0.95 and report["item_at_3"] >= 0.98, report["misses"]


def test_an_outsiders_colloquial_questions_find_their_items(assistant) -> None:  # type: ignore[no-untyped-def]
    if not COLLOQUIAL.exists():
        pytest.skip(f"{COLLOQUIAL} is not there (written separately, as a set nobody tuned on)")
    report = evaluate(read_guide_questions(COLLOQUIAL), assistant.parse)
    # Measured only, never tuned on, so no question text in the message. A floor against regressions:
    # the targets are 95 % / 98 %; measured when this landed: 94.5 % / 98.1 %.
    figures = f"item@1 {report['item_at_1']}, item@3 {report['item_at_3']} of {report['in_scope']}"
    assert report["item_at_1"] >= 0.93 and report["item_at_3"] >= 0.97, figures
