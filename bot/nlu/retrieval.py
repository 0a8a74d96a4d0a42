"""Finding the item a citizen asks about.

Three signals, added up:
- exact mentions: any name, alias or keyword of an item found inside the question, by characters
  and by toneless pinyin (so 老人正 finds 老人证), longer mentions counting more;
- BM25 (bm25s) over character bigrams and jieba words of every item's names, aliases, keywords,
  sample questions, department names and summary — tolerant of a wrong or missing character;
- BM25 over pinyin syllable bigrams, for homophones the exact layer cannot see.
Old department names (工商局, 国税局 …) count for the items of the department that took over.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import bm25s
import numpy as np

from bot.nlu.pinyin import PinyinTable
from bot.nlu.text import Tokenizer, bracket_parts, char_ngrams, normalize, strip_brackets

logging.getLogger("bm25s").setLevel(logging.WARNING)

MAX_MENTION = 60  # longest name or alias matched as a whole (characters)
MAX_PINYIN_MENTION = 8  # longest alias matched by sound (syllables)
_PUNCT = re.compile(r"[^\u4e00-\u9fffa-z0-9]")


def _best(scores: np.ndarray, limit: int) -> np.ndarray:
    """Positions of the `limit` highest scores, best first (partitioning first on a large catalogue)."""
    if len(scores) > 4 * limit:
        best = np.argpartition(-scores, limit)[:limit]
        return best[np.argsort(-scores[best])]
    return np.argsort(-scores)[:limit]


def compact(text: str) -> str:
    """Normalised text without blanks and punctuation: the form names are matched in."""
    return _PUNCT.sub("", text)


@dataclass(frozen=True)
class Candidate:
    item_id: str
    name: str
    score: float
    exact: bool  # the question names this item (or an alias of it) outright
    mention: str | None = None  # the words of the question that named it


class ItemIndex:
    """Search structure over the items of one knowledge-base snapshot."""

    def __init__(self, items: dict[str, dict[str, Any]], department_aliases: dict[str, str],
                 tokenizer: Tokenizer, pinyin: PinyinTable, stop_phrases: Iterable[str] = ()) -> None:
        self.tokenizer = tokenizer
        self.pinyin = pinyin
        self.text_weight = 0.4  # sample questions and summaries count less than names and aliases
        self.ids = list(items)
        self.names = [items[i]["name"] for i in self.ids]
        self._position = {item_id: n for n, item_id in enumerate(self.ids)}
        self._stop = sorted({normalize(p) for p in stop_phrases if p}, key=len, reverse=True)
        self._department_aliases = {compact(normalize(a)): name for a, name in department_aliases.items()
                                    if len(compact(normalize(a))) >= 2}
        self._longest_department_alias = max(map(len, self._department_aliases), default=0)
        self._department_starts = {alias[:2] for alias in self._department_aliases}
        self._stop_words = set(self._stop)
        self._stop_pattern = re.compile("|".join(map(re.escape, self._stop))) if self._stop else None
        self._mentions: dict[str, list[tuple[int, float]]] = {}
        self._pinyin_mentions: dict[str, list[tuple[int, float]]] = {}
        # First two characters (syllables) of every surface: most positions of a question start none.
        self._mention_starts: set[str] = set()
        self._pinyin_starts: set[tuple[str, str]] = set()
        self._longest_mention = 0
        name_documents, text_documents, pinyin_documents = [], [], []
        for position, item_id in enumerate(self.ids):
            record = items[item_id]
            names = self._surfaces(record)
            for surface, weight in names:
                self._add_mention(surface, position, weight)
            name_text = " ".join(s for s, w in names if w >= 0.9)
            name_documents.append(self._tokens(self._strip_stop(name_text)))
            text_fields = [s for s, w in names if w < 0.9] + [normalize(q) for q in record.get("questions") or []]
            text_fields += [normalize(record.get("department") or ""), normalize(record.get("summary") or "")]
            text_documents.append(self._tokens(" ".join(self._strip_stop(t) for t in text_fields)))
            pinyin_documents.append(self._pinyin_tokens(name_text))
        # One posting list per token over all three BM25 indexes (bm25s computes the weights), so a
        # query costs one concatenate and one bincount however many tokens it has.
        postings: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        for prefix, documents, weight in (("", name_documents, 1.0), ("", text_documents, self.text_weight),
                                          ("p:", pinyin_documents, 0.5)):
            self._collect_postings(postings, prefix, self._build(documents), weight)
        self._postings = {token: (np.concatenate([i for i, _ in lists]), np.concatenate([w for _, w in lists]))
                          for token, lists in postings.items()}
        by_department: dict[str, list[int]] = {}
        for position, item_id in enumerate(self.ids):
            by_department.setdefault(items[item_id].get("department") or "", []).append(position)
        self._department_positions = {k: np.array(v) for k, v in by_department.items()}

    @staticmethod
    def _surfaces(record: dict[str, Any]) -> list[tuple[str, float]]:
        """Names by which an item is mentioned, with the weight of a mention."""
        name = record["name"]
        surfaces = [(name, 1.0), (strip_brackets(name), 0.95)]
        surfaces += [(part, 0.9) for part in bracket_parts(name) if len(part) >= 4]
        surfaces += [(alias, 1.0) for alias in record.get("aliases") or []]
        surfaces += [(keyword, 0.35) for keyword in record.get("keywords") or []]
        seen: dict[str, float] = {}
        for surface, weight in surfaces:
            key = compact(normalize(surface))
            if len(key) >= 2 and weight > seen.get(key, 0):
                seen[key] = weight
        return list(seen.items())

    def _add_mention(self, surface: str, position: int, weight: float) -> None:
        if len(surface) <= MAX_MENTION:
            self._mentions.setdefault(surface, []).append((position, weight))
            self._mention_starts.add(surface[:2])
            self._longest_mention = max(self._longest_mention, len(surface))
        syllables = self.pinyin.syllables(surface)
        if 2 <= len(syllables) <= MAX_PINYIN_MENTION and any(len(s) > 1 for s in syllables):
            self._pinyin_mentions.setdefault(" ".join(syllables), []).append((position, weight))
            self._pinyin_starts.add((syllables[0], syllables[1]))

    def _strip_stop(self, text: str) -> str:
        return self._stop_pattern.sub(" ", text) if self._stop_pattern else text

    def _tokens(self, text: str, words: list[str] | None = None) -> list[str]:
        """Character bigrams and jieba words (computed here unless the caller has them)."""
        words = self.tokenizer.words(text) if words is None else words
        return char_ngrams(text, (2,)) + ["w:" + w for w in words if len(w) > 1 and w not in self._stop_words]

    def _pinyin_tokens(self, text: str) -> list[str]:
        tokens: list[str] = []
        for run in _PUNCT.split(text):
            syllables = self.pinyin.syllables(run)
            tokens.extend(f"{a}_{b}" for a, b in zip(syllables, syllables[1:]))
        return tokens

    @staticmethod
    def _build(documents: list[list[str]]) -> bm25s.BM25:
        index = bm25s.BM25()
        index.index([d or [""] for d in documents], show_progress=False)
        return index

    @staticmethod
    def _collect_postings(postings: dict[str, list[tuple[np.ndarray, np.ndarray]]], prefix: str,
                          index: bm25s.BM25, weight: float) -> None:
        data, indices, indptr = index.scores["data"], index.scores["indices"], index.scores["indptr"]
        for token, token_id in index.vocab_dict.items():
            if not token or token_id + 1 >= len(indptr):
                continue  # bm25s's placeholder for empty documents
            start, end = indptr[token_id], indptr[token_id + 1]
            if end > start:
                postings.setdefault(prefix + token, []).append(
                    (indices[start:end].astype(np.int64), (data[start:end] * weight).astype(np.float32)))

    def department_mentions(self, text: str) -> list[tuple[str, str]]:
        """(words used, current name) for each department the normalised text mentions, longest mention first."""
        letters = compact(text)[:200]
        found: dict[str, str] = {}
        for start in range(len(letters) - 1):
            if letters[start:start + 2] not in self._department_starts:
                continue
            for end in range(min(len(letters), start + self._longest_department_alias), start + 1, -1):
                name = self._department_aliases.get(letters[start:end])
                if name is not None:
                    if name not in found.values():
                        found[letters[start:end]] = name
                    break
        return sorted(found.items(), key=lambda pair: -len(pair[0]))

    def search(self, text: str, words: list[str] | None = None, departments: list[str] = (),  # type: ignore[assignment]
               limit: int = 5) -> list[Candidate]:
        """Best items for normalised `text`, best first; empty when nothing fits.

        `words` (jieba words of `text`) and `departments` (mentioned, current names) save recomputing them.
        """
        letters = compact(text)[:120]
        if not letters or not self.ids:
            return []
        scores = np.zeros(len(self.ids), dtype=np.float32)
        syllables = self.pinyin.syllables(letters)
        exact = self._exact_mentions(letters, syllables)
        for position, (value, _, _) in exact.items():
            scores[position] += value
        query = self._strip_stop(text[:300])
        tokens = dict.fromkeys(self._tokens(query, None if words is None else [w for w in words if w in query]))
        postings = self._postings
        hits = [postings[t] for t in tokens if t in postings]
        pinyin_bigrams = dict.fromkeys(f"p:{a}_{b}" for a, b in zip(syllables, syllables[1:]))
        hits += [postings[k] for k in pinyin_bigrams if k in postings]
        if hits:
            scores += np.bincount(np.concatenate([h[0] for h in hits]), np.concatenate([h[1] for h in hits]),
                                  minlength=len(self.ids)).astype(np.float32)
        for department in departments:
            positions = self._department_positions.get(department)
            if positions is not None:
                scores[positions] *= 1.3
        top = _best(scores, limit)
        return [Candidate(self.ids[p], self.names[p], round(float(scores[p]), 3), p in exact,
                          letters[exact[p][1]:exact[p][2]] if p in exact else None)
                for p in top if scores[p] > 0]

    def _exact_mentions(self, letters: str, syllables: list[str]) -> dict[int, tuple[float, int, int]]:
        """Items mentioned by name or alias: position → (score, start, end) of the best mention.

        Longer mentions score more; a pinyin (homophone) mention a little less than the right characters.
        """
        found: dict[int, tuple[float, int, int]] = {}

        def credit(hits: list[tuple[int, float]], length: float, start: int, end: int) -> None:
            for position, weight in hits:
                value = weight * (2.0 + length)
                if value > found.get(position, (0.0,))[0]:
                    found[position] = (value, start, end)

        length = len(letters)
        for start in range(length - 1):
            if letters[start:start + 2] not in self._mention_starts:
                continue
            for end in range(start + 2, min(length, start + self._longest_mention) + 1):
                hits = self._mentions.get(letters[start:end])
                if hits:
                    credit(hits, end - start, start, end)
        if len(syllables) == length:  # positions line up only when every character has one syllable
            for start in range(length - 1):
                if (syllables[start], syllables[start + 1]) not in self._pinyin_starts:
                    continue
                for end in range(start + 2, min(length, start + MAX_PINYIN_MENTION) + 1):
                    hits = self._pinyin_mentions.get(" ".join(syllables[start:end]))
                    if hits:
                        credit(hits, (end - start) * 0.8, start, end)
        return found

    def position(self, item_id: str) -> int | None:
        return self._position.get(item_id)
