"""`zwbot test guide`: how well guide questions find their item and aspect, measured on a centre's own set.

The file (YAML or CSV, see `read_guide_questions`) lists questions with the acceptable item ids and
the aspect asked; an empty id list marks a question that is not the centre's business. The report
gives item@1 (the item zwbot answers with is acceptable), item@3 (an acceptable item among the first
three candidates), aspect accuracy, out-of-scope precision and recall, and every miss.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.nlu.interpreter import ParseResult

ASPECTS = ("materials", "process", "time_limit", "fee", "location", "basis", "conditions", "online", "contact",
           "overview")


class GuideQuestionsError(ValueError):
    """The file cannot be read as guide questions; the message says where."""


@dataclass(frozen=True)
class GuideQuestion:
    question: str
    items: tuple[str, ...]  # acceptable item ids; () = not the centre's business
    aspect: str | None

    @property
    def out_of_scope(self) -> bool:
        return not self.items


def read_guide_questions(path: Path) -> list[GuideQuestion]:
    """YAML: a list of {question, items: [ids], aspect} (also {text, item} as in tests/data/);
    CSV (UTF-8, header question,items,aspect): items separated by "|", empty = out of scope."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as handle:
                rows: Any = list(csv.DictReader(handle))
        else:
            rows = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, csv.Error) as error:
        raise GuideQuestionsError(f"{path}: 无法读取：{error}") from error
    if not isinstance(rows, list):
        raise GuideQuestionsError(f"{path}: 应为问题列表")
    questions = []
    for number, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise GuideQuestionsError(f"{path} 第 {number} 条：应为映射")
        text = row.get("question", row.get("text"))
        items = row.get("items", row.get("item"))
        if isinstance(items, str):
            items = [i for i in (part.strip() for part in items.split("|")) if i]
        if items is None:
            items = []
        aspect = (row.get("aspect") or "").strip() or None
        if not isinstance(text, str) or not text.strip() or not isinstance(items, list) \
                or not all(isinstance(i, str) for i in items):
            raise GuideQuestionsError(f"{path} 第 {number} 条：需要 question（文字）和 items（事项编码列表）")
        if aspect is not None and aspect not in ASPECTS:
            raise GuideQuestionsError(f"{path} 第 {number} 条：aspect 应为 {'/'.join(ASPECTS)} 之一")
        questions.append(GuideQuestion(text.strip(), tuple(items), aspect))
    if not questions:
        raise GuideQuestionsError(f"{path}: 没有问题")
    return questions


def taken_as_out_of_scope(result: ParseResult) -> bool:
    """zwbot treats the question as none of the centre's business: it says so, or it is a guide
    question about no item and no department we know (the answer says nothing was found)."""
    return result.out_of_scope or (result.intent == "ask_guide" and not result.candidates
                                   and not result.departments)


def aspect_right(expected: str, got: str | None) -> bool:
    """An "怎么办" question is labelled process; an overview answer is right for it too."""
    return got == expected or (expected == "process" and got == "overview")


def evaluate(questions: list[GuideQuestion], parse: Callable[[str], ParseResult]) -> dict[str, Any]:
    """Parse every question and count; `misses` lists each question answered wrongly in any way."""
    in_scope = [q for q in questions if not q.out_of_scope]
    first = three = aspects = aspect_rows = 0
    true_oos = predicted_oos = both_oos = given_item = 0
    misses = []
    for question in questions:
        result = parse(question.question)
        ranked = [c.item_id for c in result.candidates[:3]]
        oos = taken_as_out_of_scope(result)
        predicted_oos += oos
        wrong: list[str] = []
        if question.out_of_scope:
            true_oos += 1
            both_oos += oos
            given_item += result.item_id is not None
            if not oos:
                wrong.append("out_of_scope")
        else:
            hit = result.item_id in question.items
            first += hit
            three += hit or any(i in question.items for i in ranked)
            if not hit:
                wrong.append("item")
            if question.aspect:
                aspect_rows += 1
                if aspect_right(question.aspect, result.aspect):
                    aspects += 1
                else:
                    wrong.append("aspect")
        if wrong:
            misses.append({"question": question.question, "wrong": wrong, "expected_items": list(question.items),
                           "item": result.item_id, "candidates": ranked, "expected_aspect": question.aspect,
                           "aspect": result.aspect, "intent": result.intent})

    def share(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    return {
        "questions": len(questions),
        "in_scope": len(in_scope),
        "item_at_1": share(first, len(in_scope)),
        "item_at_3": share(three, len(in_scope)),
        "aspect_accuracy": share(aspects, aspect_rows),
        "out_of_scope": {"questions": true_oos, "precision": share(both_oos, predicted_oos),
                         "recall": share(both_oos, true_oos), "answered_with_an_item": given_item},
        "misses": misses,
    }


def format_guide_report(report: dict[str, Any], show_misses: int = 50) -> str:
    def percent(value: float | None) -> str:
        return "-" if value is None else f"{value:.1%}"

    oos = report["out_of_scope"]
    lines = [f"问题 {report['questions']} 条（属本中心业务 {report['in_scope']} 条，非本中心业务 {oos['questions']} 条）",
             f"事项第一位正确 item@1  {percent(report['item_at_1'])}",
             f"事项在前三位 item@3    {percent(report['item_at_3'])}",
             f"方面正确               {percent(report['aspect_accuracy'])}",
             f"非本中心业务 精确率 {percent(oos['precision'])}  召回率 {percent(oos['recall'])}"
             f"（其中被答成某个事项 {oos['answered_with_an_item']} 条）"]
    if report["misses"]:
        lines += ["", f"未答对的问题（{len(report['misses'])} 条）："]
        for miss in report["misses"][:show_misses]:
            expected = "|".join(miss["expected_items"]) or "非本中心业务"
            lines.append(f"  {miss['question']}  应为 {expected}/{miss['expected_aspect'] or '-'}  "
                         f"实为 {miss['item'] or '-'}/{miss['aspect'] or '-'}  候选 {','.join(miss['candidates']) or '-'}")
    return "\n".join(lines)
