"""Cue-word detectors configured in config.yml: the aspect of a guide question and the mood.

Both are plain lexicons so that staff can read and extend them; the words live in config.yml.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.nlu.text import normalize


def _alternation(words: Iterable[str]) -> re.Pattern[str]:
    """One regex matching any of `words`, longest first so the longest cue at a position wins."""
    ordered = sorted({w for w in words if w}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, ordered))) if ordered else re.compile(r"(?!x)x")

ASPECTS = ("materials", "process", "time_limit", "fee", "location", "basis", "conditions", "online", "contact")


class AspectDetector:
    """Which part of a guide the question asks for; None when it names no single aspect (overview)."""

    def __init__(self, cues: dict[str, list[str]]) -> None:
        unknown = set(cues) - set(ASPECTS)
        if unknown:
            raise ValueError(f"config.yml aspects: unknown aspect names {sorted(unknown)}")
        self._aspect_of = {normalize(c): aspect for aspect, words in cues.items() for c in words}
        self._pattern = _alternation(self._aspect_of)

    def detect(self, text: str) -> str | None:
        """The aspect of the longest cue in `text` (the earliest among equally long ones)."""
        best = max(self._pattern.finditer(text), key=lambda m: (len(m.group()), -m.start()), default=None)
        return self._aspect_of[best.group()] if best else None


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
        self._angry, self._negative, self._positive, self._intensifiers = (
            _alternation(normalize(w) for w in config.get(kind, []))
            for kind in ("angry", "negative", "positive", "intensifiers"))
        self.escalate_at = float(config.get("escalate_at", 0.7))

    def score(self, text: str, complaint_probability: float = 0.0) -> Mood:
        """Mood of normalised `text`: distinct cue words of each kind, weighed, and how surely the
        intent classifier reads it as a complaint (an angry citizen complains, whatever the words)."""
        angry, negative, positive, intense = (len(set(p.findall(text))) for p in
                                              (self._angry, self._negative, self._positive, self._intensifiers))
        intensity = intense + min(text.count("!"), 3)
        raw = 0.45 * angry + 0.2 * negative - 0.25 * positive
        if raw > 0:
            raw += 0.08 * intensity
        if positive and not (angry or negative):
            complaint_probability = 0.0  # praise of the service reads like a complaint to the classifier
        score = max(0.0, min(1.0, 0.3 + raw), 0.3 + 0.67 * complaint_probability)
        escalate = score >= self.escalate_at
        if escalate and (angry or intensity or complaint_probability >= 0.8):
            label = "angry"
        elif score >= 0.5 or raw > 0.05:
            label = "negative"
        elif positive and raw < 0:
            label = "positive"
        else:
            label = "neutral"
        return Mood(label, round(score, 3), escalate)
