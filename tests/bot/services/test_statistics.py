"""Honest statistics: a scripted day whose counts are known in advance, on a database of its own.

Only answers from the knowledge base count as answered by zwbot; form prompts, hand-off traffic,
clarifications, fallbacks and small talk count as what they are. The dashboard, the CSV download and
`zwbot report` (all built on `centre_report`) show the same figures.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace

from bot.assistant import Assistant
from bot.console.pages import render
from bot.services.statistics import centre_report
from bot.services.tickets import today

# (sender, message, what the turn is)
DAY = [
    ("a", "老人证要带啥", "answered"),
    ("a", "那要多久？", "answered"),
    ("a", "你好", "smalltalk"),
    ("b", "我要投诉", "form"),
    ("b", "窗口让我来回跑了三趟", "form"),
    ("b", "取消", "form"),
    ("b", "是", "form"),
    ("c", "帮我推荐一家附近的火锅店", "fallback"),
    ("c", "转人工", "handoff"),
    ("c", "在吗？人呢", None),  # staff own the conversation now: hand-off traffic, no turn of zwbot's
    ("d", "好的", "smalltalk"),
]


async def test_a_scripted_day_is_counted_as_it_happened(settings, new_database_url) -> None:  # type: ignore[no-untyped-def]
    assistant = await Assistant.start(replace(settings, database_url=await new_database_url()))
    try:
        for sender, text, _ in DAY:
            await assistant.handle(text, f"stats-{sender}")
        await assistant.turn_log.flush()
        names = {item_id: record["name"] for item_id, record in assistant.knowledge.items.items()}
        report = await centre_report(assistant.database, today(), today(), names)
    finally:
        await assistant.close()
    expected: dict[str, int] = {}
    for _, _, outcome in DAY:
        if outcome:
            expected[outcome] = expected.get(outcome, 0) + 1
    assert report.outcomes == expected
    assert report.messages == len([d for d in DAY if d[2]]) and report.handoff_messages == 1
    assert (report.questions, report.answered, report.answered_share) == (4, 2, 0.5)  # 2 of 4 questions
    assert report.handoffs == 1
    rows = {(section, measure): str(value) for section, measure, value in report.rows()}
    assert rows[("概况", "无需人工解答率")] == "50.0%" and rows[("消息构成", "表单问答（投诉、建议、查进度、评价）")] == "4"
    downloaded = {(r[0], r[1]): r[2] for r in list(csv.reader(io.StringIO(report.csv().lstrip("\ufeff"))))[1:]}
    assert downloaded == rows
    page = render("dashboard.html", me=None, csrf="", report=report, charts=[]).text or ""
    assert "无需人工解答率 <strong>50.0%</strong>" in page and "直接解答 <strong>2</strong>" in page
    assert "表单问答（投诉、建议、查进度、评价） <strong>4</strong>" in page
