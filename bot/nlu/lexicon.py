"""Cue-word detectors configured in config.yml: the aspect of a guide question and the mood.

Both are plain lexicons so that staff can read and extend them; the words live in config.yml.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.nlu.text import normalize

ASPECTS = ("materials", "process", "time_limit", "fee", "location", "basis", "conditions", "online", "contact")


class AspectDetector:
    """Which part of a guide the question asks for; None when it names no single aspect (overview)."""

    def __init__(self, cues: dict[str, list[str]]) -> None:
        unknown = set(cues) - set(ASPECTS)
        if unknown:
            raise ValueError(f"config.yml aspects: unknown aspect names {sorted(unknown)}")
        # Longer cues first: "网上交材料" must not count as "materials" before "online" sees "网上".
        self._cues = sorted(((normalize(c), aspect) for aspect, words in cues.items() for c in words),
                            key=lambda pair: -len(pair[0]))

    def detect(self, text: str) -> str | None:
        best: tuple[int, int] | None = None  # (cue length, -position)
        found = None
        for cue, aspect in self._cues:
            position = text.find(cue)
            if position >= 0:
                key = (len(cue), -position)
                if best is None or key > best:
                    best, found = key, aspect
        return found


@dataclass(frozen=True)
class Mood:
    label: str  # angry | negative | neutral | positive
    score: float  # 0 (calm/pleased) … 1 (furious)
    escalate: bool

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "score": round(self.score, 3), "escalate": self.escalate}


class MoodScorer:
    """A first mood score from weighted cue words, intensifiers and exclamation marks."""

    def __init__(self, config: dict[str, Any]) -> None:
        self._angry = [normalize(w) for w in config.get("angry", [])]
        self._negative = [normalize(w) for w in config.get("negative", [])]
        self._positive = [normalize(w) for w in config.get("positive", [])]
        self._intensifiers = [normalize(w) for w in config.get("intensifiers", [])]
        self.escalate_at = float(config.get("escalate_at", 0.7))

    def score(self, text: str) -> Mood:
        angry = sum(1 for w in self._angry if w in text)
        negative = sum(1 for w in self._negative if w in text)
        positive = sum(1 for w in self._positive if w in text)
        intensity = sum(1 for w in self._intensifiers if w in text) + min(text.count("!"), 3)
        raw = 0.45 * angry + 0.2 * negative - 0.25 * positive
        if raw > 0:
            raw += 0.08 * intensity
        score = max(0.0, min(1.0, 0.3 + raw))
        if angry and score >= 0.6:
            label = "angry"
        elif raw > 0.05:
            label = "negative"
        elif positive and raw < 0:
            label = "positive"
        else:
            label = "neutral"
        return Mood(label, score, score >= self.escalate_at)
