"""The Interpreter: one call from a citizen's text to everything the dialogue needs to know.

`parse` returns a `ParseResult` whose `as_dict()` is the Rasa-shaped `/model/parse` answer plus
zwbot's `guide`, `mood` and `out_of_scope`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.configuration import Configuration, ThresholdsConfig
from bot.nlu.case_numbers import CaseNumbers
from bot.nlu.index_store import item_index
from bot.nlu.intent import NAMED, NO_EVIDENCE, WORDS, IntentClassifier, ScopePolicy
from bot.nlu.model import NluModel, train_model, user_words
from bot.nlu.letters import Letter, LetterModel, subject_line
from bot.nlu.lexicon import AspectDetector, Mood, MoodScorer
from bot.nlu.retrieval import Candidate, ItemIndex, compact, synonym_words
from bot.nlu.text import Tokenizer, has_content, normalize
from bot.nlu.training_data import TrainingData

BUSINESS_INTENTS = frozenset({"ask_guide", "ask_centre", "query_progress", "complain", "suggest", "rate",
                              "request_human"})
OUT_OF_SCOPE = "out_of_scope"
# The intents a letter's type may replace: a long message about a case (query_progress) or a rating stays so.
LETTER_INTENTS = frozenset({"ask_guide", "ask_centre", "complain", "suggest", "request_human"})
MAX_PARSED_CHARS = 1000  # longer messages are understood from their beginning
_BARE_NUMBER = re.compile(r"[\s\-#.,，。:：]*(?:[a-z]{0,6}[\s\-]*)?\d(?:[\d\s\-]*\d){3,}[\s.,，。!！?？]*")


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
    proxy: bool = False  # a guide question asking whether someone else may apply for the applicant
    bare: bool = False  # asks nothing but an aspect ("法律依据呢"): about the item under discussion
    letter: Letter | None = None  # a long message read as a letter (bot/nlu/letters.py)
    # Read as not business, yet it shows business words and a business intent came close ("我对社保窗口有意见"):
    # the dialogue asks what was meant rather than declining (thresholds.doubtful_scope).
    doubtful_scope: bool = False

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
                "proxy": self.proxy,
                "bare": self.bare,
                "candidates": [{"item_id": c.item_id, "name": c.name, "score": c.score, "mention": c.mention}
                               for c in self.candidates],
            },
            "mood": self.mood.as_dict(),
            "out_of_scope": self.out_of_scope,
            "letter": self.letter.as_dict() if self.letter is not None else None,
            "doubtful_scope": self.doubtful_scope,
        }


class Interpreter:
    """Intent classifier + item index + aspect and mood lexicons + entity patterns."""

    def __init__(self, model: NluModel, tokenizer: Tokenizer, index: ItemIndex,
                 aspects: AspectDetector, mood: MoodScorer, regexes: dict[str, list[str]],
                 synonyms: dict[str, str], thresholds: ThresholdsConfig,
                 case_numbers: CaseNumbers | None = None) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.classifier: IntentClassifier = model.classifier
        self.index = index
        self.aspects = aspects
        self.mood = mood
        self.regexes = {name: re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
                        for name, patterns in regexes.items() if patterns and name != "case_no"}
        # Case numbers follow config.yml `case_numbers` (nlu_data's case_no regex is for Rasa only).
        self.case_numbers = case_numbers or CaseNumbers()
        self.synonyms = {normalize(k): v for k, v in synonyms.items()}
        # Whether a business intent stands: per-intent bars (config.yml thresholds.fallback).
        self.scope = ScopePolicy(thresholds.fallback, BUSINESS_INTENTS)
        self.business_words: frozenset[str] = model.business_words
        self.evidence_item_score = thresholds.evidence_item_score
        self.min_item_score = thresholds.min_item_score
        self.doubtful_scope = thresholds.doubtful_scope
        self.letters: LetterModel | None = model.letters

    @classmethod
    def build(cls, model: NluModel, data: TrainingData, items: Mapping[str, dict[str, Any]],
              department_aliases: dict[str, str], config: Configuration, models_dir: Path | None = None) -> Interpreter:
        """Put a trained model together with the knowledge base's item index and the lexicons;
        `models_dir`: where a large catalogue's index is kept between starts (index_store.py)."""
        tokenizer = Tokenizer(user_words(items, department_aliases))
        index = item_index(models_dir, items, department_aliases, tokenizer, model.pinyin,
                           synonym_words(data.synonyms, items), config)
        return cls(model, tokenizer, index, AspectDetector(config.aspects), MoodScorer(config.mood), data.regexes,
                   data.synonyms, config.thresholds, case_numbers=CaseNumbers(config.case_numbers))

    @classmethod
    def train(cls, data: TrainingData, items: Mapping[str, dict[str, Any]], department_aliases: dict[str, str],
              config: Configuration) -> Interpreter:
        """Train in this process and build (for commands and tests; the server trains in a child)."""
        return cls.build(train_model(data, items, department_aliases, config), data, items, department_aliases,
                         config)

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
        evidence = self._business_evidence(words, named, departments, candidates)
        if intent not in BUSINESS_INTENTS and named is not None and named.score >= self.min_item_score and \
                (confidence < 0.6 or whole_name):
            # A bare item name ("食品经营许可证") is a guide question even when it reads like small talk.
            intent, confidence = "ask_guide", max(confidence, 0.5)
        elif intent in BUSINESS_INTENTS and not self.scope.accepts(ranking, evidence):
            # Unsure, or sure only of words everyday requests use too: better "not our business" than a
            # form, a rating or a wrong guide.
            intent, confidence = OUT_OF_SCOPE, 1.0 - confidence
        if _BARE_NUMBER.fullmatch(normalized):
            # Only a number: a case number or the phone's last digits, never goodbye ("1234").
            intent, confidence = "query_progress", 1.0
        # Letters (a step of its own, after the intent and scope decision): a long message is a letter
        # whose type — complaint, suggestion, enquiry, plea for help — says what the dialogue does with it.
        # A long message the scope decision calls not business stays so (everyday chat can be long too)
        # unless it reads as a letter to government rather than everyday chat.
        letters = self.letters
        letter = self._letter(text, normalized, words) if intent in LETTER_INTENTS or intent == OUT_OF_SCOPE else None
        if letter is not None and letters is not None and intent == OUT_OF_SCOPE and not letters.to_government(letter):
            letter = None
        if letter is not None and letters is not None and not (
                intent == "ask_guide" and named is not None and letter.type != "enquiry"
                and letter.type_confidence < letters.settings.sure_type and len(normalized) < letters.settings.question_chars):
            # A question of a sentence or two naming an item stays a guide question unless surely otherwise.
            intent, confidence = letter.intent, letter.type_confidence
        result = ParseResult(text, intent, confidence, ranking, candidates=candidates, letter=letter)
        if intent == OUT_OF_SCOPE and letter is None and evidence >= WORDS:
            result.doubtful_scope = next((c for name, c in ranking if name in BUSINESS_INTENTS), 0.0) \
                >= self.doubtful_scope
        # An item's own name is no mood ("建筑垃圾处置核准" insults nobody).
        felt = normalized.replace(named.mention, " ") if named is not None and named.mention else normalized
        # A letter's anger is its tone model's (most letters complain, few in anger), a message's how surely
        # the intent classifier reads a complaint.
        result.mood = self.mood.score(felt, next((c for name, c in ranking if name == "complain"), 0.0),
                                      letter.angry if letter is not None else None)
        result.departments = departments
        if intent == "ask_guide":
            best = candidates[0] if candidates else None
            if best is not None and best.score >= self.min_item_score:
                result.item_id = best.item_id
            # The item's own name must not count as a cue ("抗震设防要求确定" is no question of 条件).
            # Punctuation stays: the aspect is asked in the last clause.
            asked = normalized
            if best is not None and best.mention:
                asked = asked.replace(best.mention, " ") if best.mention in asked else \
                    compact(normalized).replace(best.mention, " ")
            question = self.aspects.read(asked)
            result.aspect, result.proxy = question.aspect or "overview", question.proxy
            result.bare = self.aspects.bare(normalized) is not None
        elif named is not None and named.score >= self.min_item_score:
            result.item_id = named.item_id
        elif intent == OUT_OF_SCOPE or intent == "chitchat":
            # "要多少钱" alone is nobody's business until the dialogue knows what was just discussed.
            bare = self.aspects.bare(normalized)
            if bare is not None:
                result.aspect, result.proxy, result.bare = bare.aspect, bare.proxy, True
        result.entities = self._entities(normalized, result, mentions)
        return result

    def _letter(self, text: str, normalized: str, words: list[str]) -> Letter | None:
        """The letter analysis of a long message (None for a short one, or without a letter model)."""
        if self.letters is None or not self.letters.is_letter(normalized, words):
            return None
        title = subject_line(text)
        return self.letters.analyse(normalized, words, title, self.tokenizer.words(title) if title else ())

    def scope_inputs(self, text: str) -> tuple[list[tuple[str, float]], int] | None:
        """What the scope decision sees: the intent ranking and whether there is evidence of business
        (for calibrating thresholds; None for a message with no words)."""
        normalized = normalize(text)[:MAX_PARSED_CHARS]
        if not has_content(normalized):
            return None
        words = self.tokenizer.words(normalized)
        departments = list(dict.fromkeys(name for _, name in self.index.department_mentions(normalized)))
        candidates = self.index.search(normalized, words, departments)
        named = candidates[0] if candidates and candidates[0].exact else None
        return self.classifier.predict(normalized, words), self._business_evidence(words, named, departments,
                                                                                  candidates)

    def _business_evidence(self, words: list[str], named: Candidate | None, departments: list[str],
                           candidates: list[Candidate]) -> int:
        """How strongly the message shows the centre's business: an item named outright, else a department,
        a close item match or a business word, else nothing (intent.NAMED / WORDS / NO_EVIDENCE)."""
        if named is not None and named.score >= self.min_item_score:
            return NAMED
        if departments or (candidates and candidates[0].score >= self.evidence_item_score):
            return WORDS
        business = self.business_words
        return WORDS if any(w in business for w in words) else NO_EVIDENCE

    def _entities(self, text: str, result: ParseResult, mentions: list[tuple[str, str]]) -> list[dict[str, Any]]:
        entities = []
        for name, pattern in self.regexes.items():
            for match in pattern.finditer(text):
                entities.append({"entity": name, "value": match.group(0).upper(), "start": match.start(),
                                 "end": match.end(), "extractor": "RegexEntityExtractor"})
        numbers = self.case_numbers.find(text)
        for number in numbers:
            entities.append({"entity": "case_no", "value": number.key, "start": number.start, "end": number.end,
                             "extractor": "RegexEntityExtractor"})
        last_four = self.case_numbers.phone_last_four(text, numbers)
        if last_four is not None:
            entities.append({"entity": "phone_last4", "value": last_four.key, "start": last_four.start,
                             "end": last_four.end, "extractor": "RegexEntityExtractor"})
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

