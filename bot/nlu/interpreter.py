"""The Interpreter: one call from a citizen's text to everything the dialogue needs to know.

`parse` returns a `ParseResult` whose `as_dict()` is the Rasa-shaped `/model/parse` answer plus
zwbot's `guide`, `mood` and `out_of_scope`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.nlu.intent import IntentClassifier
from bot.nlu.model import NluModel, train_model, user_words
from bot.nlu.lexicon import AspectDetector, Mood, MoodScorer
from bot.nlu.retrieval import Candidate, ItemIndex, compact
from bot.nlu.text import Tokenizer, has_content, normalize
from bot.nlu.training_data import TrainingData

BUSINESS_INTENTS = frozenset({"ask_guide", "ask_centre", "query_progress", "complain", "suggest", "rate",
                              "request_human"})
OUT_OF_SCOPE = "out_of_scope"
MAX_PARSED_CHARS = 1000  # longer messages are understood from their beginning


@dataclass
class ParseResult:
    text: str
    intent: str
    confidence: float
    ranking: list[tuple[str, float]]
    entities: list[dict[str, Any]] = field(default_factory=list)
    item_id: str | None = None
    aspect: str | None = None
    candidates: list[Candidate] = field(default_factory=list)
    mood: Mood = Mood("neutral", 0.3, False)
    departments: list[str] = field(default_factory=list)

    @property
    def out_of_scope(self) -> bool:
        return self.intent not in BUSINESS_INTENTS

    def entity(self, name: str) -> str | None:
        return next((e["value"] for e in self.entities if e["entity"] == name), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "intent": {"name": self.intent, "confidence": round(self.confidence, 4)},
            "intent_ranking": [{"name": n, "confidence": round(c, 4)} for n, c in self.ranking[:10]],
            "entities": self.entities,
            "guide": {
                "item_id": self.item_id,
                "aspect": self.aspect,
                "candidates": [{"item_id": c.item_id, "name": c.name, "score": c.score, "mention": c.mention}
                               for c in self.candidates],
            },
            "mood": self.mood.as_dict(),
            "out_of_scope": self.out_of_scope,
        }


class Interpreter:
    """Intent classifier + item index + aspect and mood lexicons + entity patterns."""

    def __init__(self, model: NluModel, tokenizer: Tokenizer, index: ItemIndex,
                 aspects: AspectDetector, mood: MoodScorer, regexes: dict[str, list[str]],
                 synonyms: dict[str, str], thresholds: dict[str, float]) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.classifier: IntentClassifier = model.classifier
        self.index = index
        self.aspects = aspects
        self.mood = mood
        self.regexes = {name: re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
                        for name, patterns in regexes.items() if patterns}
        self.synonyms = {normalize(k): v for k, v in synonyms.items()}
        self.min_confidence = thresholds.get("min_confidence", 0.3)
        self.min_item_score = thresholds.get("min_item_score", 4.0)
        self.min_guide_confidence = thresholds.get("min_guide_confidence", 0.6)

    @classmethod
    def build(cls, model: NluModel, data: TrainingData, items: dict[str, dict[str, Any]],
              department_aliases: dict[str, str], pipeline: dict[str, Any]) -> Interpreter:
        """Put a trained model together with the knowledge base's item index and the lexicons."""
        tokenizer = Tokenizer(user_words(items, department_aliases))
        index = ItemIndex(items, department_aliases, tokenizer, model.pinyin, pipeline.get("retrieval_stop_phrases", []))
        return cls(model, tokenizer, index, AspectDetector(pipeline.get("aspects", {})),
                   MoodScorer(pipeline.get("mood", {})), data.regexes, data.synonyms, pipeline.get("thresholds", {}))

    @classmethod
    def train(cls, data: TrainingData, items: dict[str, dict[str, Any]], department_aliases: dict[str, str],
              pipeline: dict[str, Any]) -> Interpreter:
        """Train in this process and build (for commands and tests; the server trains in a child)."""
        return cls.build(train_model(data, items, department_aliases, pipeline), data, items, department_aliases,
                         pipeline)

    def parse(self, text: str) -> ParseResult:
        normalized = normalize(text)[:MAX_PARSED_CHARS]
        if not has_content(normalized):
            return ParseResult(text, OUT_OF_SCOPE, 1.0, [(OUT_OF_SCOPE, 1.0)])
        words = self.tokenizer.words(normalized)
        ranking = self.classifier.predict(normalized, words)
        intent, confidence = ranking[0]
        mentions = self.index.department_mentions(normalized)
        departments = list(dict.fromkeys(name for _, name in mentions))
        candidates = self.index.search(normalized, words, departments)
        named = candidates[0] if candidates and candidates[0].exact else None
        whole_name = named is not None and named.mention is not None and len(named.mention) >= 4 \
            and len(named.mention) >= 0.8 * len(normalized)
        if intent not in BUSINESS_INTENTS and named is not None and named.score >= self.min_item_score and \
                (confidence < 0.6 or whole_name):
            # A bare item name ("食品经营许可证") is a guide question even when it reads like small talk.
            intent, confidence = "ask_guide", max(confidence, 0.5)
        elif named is None and (
                (intent in BUSINESS_INTENTS and confidence < self.min_confidence)
                or (intent == "ask_guide" and confidence < self.min_guide_confidence
                    and not (candidates and candidates[0].score >= self.min_item_score))):
            # Unsure and about no item we know: better "not our business" than a wrong guide.
            intent, confidence = OUT_OF_SCOPE, 1.0 - confidence
        result = ParseResult(text, intent, confidence, ranking, candidates=candidates)
        # An item's own name is no mood ("建筑垃圾处置核准" insults nobody).
        felt = normalized.replace(named.mention, " ") if named is not None and named.mention else normalized
        result.mood = self.mood.score(felt, next((c for name, c in ranking if name == "complain"), 0.0))
        result.departments = departments
        if intent == "ask_guide":
            best = candidates[0] if candidates else None
            if best is not None and best.score >= self.min_item_score:
                result.item_id = best.item_id
            # The item's own name must not count as a cue ("抗震设防要求确定" is no question of 条件).
            asked = compact(normalized)
            if best is not None and best.mention:
                asked = asked.replace(best.mention, " ")
            result.aspect = self.aspects.detect(asked) or "overview"
        elif named is not None and named.score >= self.min_item_score:
            result.item_id = named.item_id
        result.entities = self._entities(normalized, result, mentions)
        return result

    def _entities(self, text: str, result: ParseResult, mentions: list[tuple[str, str]]) -> list[dict[str, Any]]:
        entities = []
        for name, pattern in self.regexes.items():
            for match in pattern.finditer(text):
                entities.append({"entity": name, "value": match.group(0).upper(), "start": match.start(),
                                 "end": match.end(), "extractor": "RegexEntityExtractor"})
        for alias, department in mentions:
            start = text.find(alias)
            if start >= 0:
                entities.append({"entity": "department", "value": department, "start": start,
                                 "end": start + len(alias), "extractor": "LookupEntityExtractor"})
        best = result.candidates[0] if result.candidates else None
        if best is not None and best.mention and best.item_id == result.item_id:
            start = text.find(best.mention)
            if start >= 0:
                entities.append({"entity": "item", "value": best.name, "start": start,
                                 "end": start + len(best.mention), "extractor": "LookupEntityExtractor"})
        return entities

