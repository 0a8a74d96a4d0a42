"""Conversation stories (tests/stories/*.yml) played through the REST channel of a real server.

A story is a list of steps; each step is what the citizen says (`user`, or a button `payload`)
and what zwbot's reply must (`contains`, `buttons`) and must not (`not_contains`) hold.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

STORIES = Path(__file__).resolve().parent / "stories"


def _stories() -> list[Any]:
    cases = []
    for file in sorted(STORIES.glob("*.yml")):
        for story in yaml.safe_load(file.read_text(encoding="utf-8")):
            cases.append(pytest.param(story, id=f"{file.stem}: {story['story']}"))
    return cases


@pytest.mark.parametrize("story", _stories())
async def test_story(story: dict[str, Any], http) -> None:  # type: ignore[no-untyped-def]
    sender = f"story-{uuid.uuid4().hex[:10]}"
    for number, step in enumerate(story["steps"], 1):
        message = step.get("payload", step.get("user"))
        response = await http.post("/webhooks/rest/webhook", json={"sender": sender, "message": message})
        assert response.status == 200, f"step {number}: HTTP {response.status}"
        replies = await response.json()
        text = "\n".join(r["text"] for r in replies)
        buttons = [b["title"] for r in replies for b in r.get("buttons", [])]
        where = f"step {number} ({message!r}) got:\n{text}\nbuttons: {buttons}"
        for expected in step.get("contains", []):
            assert expected in text, f"missing {expected!r} — {where}"
        for unexpected in step.get("not_contains", []):
            assert unexpected not in text, f"unexpected {unexpected!r} — {where}"
        for title in step.get("buttons", []):
            assert title in buttons, f"missing button {title!r} — {where}"
        if "replies" in step:
            assert len(replies) == step["replies"], where
