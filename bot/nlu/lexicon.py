"""Cue-word detectors configured in config.yml: the aspect of a guide question and the mood.

Both are plain lexicons so that staff can read and extend them; the words live in config.yml.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.configuration import MoodConfig
from bot.nlu.aspects import ASPECTS, AspectDetector, AspectQuestion
from bot.nlu.text import normalize

__all__ = ["ASPECTS", "AspectDetector", "AspectQuestion", "Mood", "MoodScorer"]


def _alternation(words: Iterable[str]) -> re.Pattern[str]:
    """One regex matching any of `words`, longest first so the longest cue at a position wins."""
    ordered = sorted({w for w in words if w}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, ordered))) if ordered else re.compile(r"(?!x)x")


@dataclass(frozen=True)
class Mood:
    label: str  # angry | negative | neutral | positive
    score: float  # 0 (calm/pleased) … 1 (furious)
    escalate: bool

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.label, "score": round(self.score, 3), "escalate": self.escalate}


_SENTENCES = re.compile(r"[^。!?；;\n]+[。!?；;\n]*")



class MoodScorer:
    """A first mood score from weighted cue words, intensifiers and exclamation marks.

    Every setting comes from config.yml's `mood:` block (`escalate_at`, `weights`, the word lists). A
    long message is scored sentence by sentence and the strongest sentence counts, so one furious
    sentence in a long, polite letter is not diluted by the rest."""

    def __init__(self, config: MoodConfig) -> None:
        self._angry, self._negative, self._positive, self._intensifiers = (
            _alternation(normalize(w) for w in words)
            for words in (config.angry, config.negative, config.positive, config.intensifiers))
        self.escalate_at = config.escalate_at
        self.weights = config.weights.model_dump()

    def _sentence(self, sentence: str) -> tuple[float, int, int, int, int]:
        """(raw score, angry, negative, positive cue counts, intensity) of one sentence."""
        w = self.weights
        angry, negative, positive, intense = (len(set(p.findall(sentence))) for p in
                                              (self._angry, self._negative, self._positive, self._intensifiers))
        intensity = intense + min(sentence.count("!"), 3)
        raw = w["angry"] * angry + w["negative"] * negative + w["positive"] * positive
        if raw > 0:
            raw += w["intensity"] * intensity
        return raw, angry, negative, positive, intensity

    def score(self, text: str, complaint_probability: float = 0.0, letter_anger: float | None = None) -> Mood:
        """Mood of normalised `text`: distinct cue words of each kind in its strongest sentence, weighed,
        and how surely it reads as a complaint (an angry citizen complains, whatever the words).

        For a letter, `letter_anger` (bot/nlu/letters.py: 0.5 = angrier than calm letters read) takes the
        place of the complaint probability: most letters complain, few of them in anger."""
        w = self.weights
        sentences = _SENTENCES.findall(text) or [text]
        whole = self._sentence(text)
        strongest = max(map(self._sentence, sentences), key=lambda s: s[0]) if len(sentences) > 1 else whole
        # The strongest sentence when any is upset; else the whole message (praise lowers the score).
        raw, intensity = (strongest[0], strongest[4]) if strongest[0] > 0 else (whole[0], whole[4])
        _, angry, negative, positive, _ = whole
        if positive and not (angry or negative):
            complaint_probability = 0.0  # praise of the service reads like a complaint to the classifier
        base = w["base"]
        if letter_anger is None:
            felt = base + w["complaint"] * complaint_probability
        else:
            felt = self.escalate_at + w["letter_anger"] * (letter_anger - 0.5)
            complaint_probability = 1.0 if letter_anger >= 0.5 else 0.0
        score = min(1.0, max(0.0, base + raw, felt))
        escalate = score >= self.escalate_at
        if escalate and (angry or intensity or complaint_probability >= w["sure_complaint"]):
            label = "angry"
        elif score >= w["negative_from"] or raw > 0.05:
            label = "negative"
        elif positive and raw < 0:
            label = "positive"
        else:
            label = "neutral"
        return Mood(label, round(score, 3), escalate)
