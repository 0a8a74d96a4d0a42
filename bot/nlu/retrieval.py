"""Finding the item a citizen asks about.

Four signals, added up:
- exact mentions: any name, alias or keyword of an item found inside the question, by characters
  and by toneless pinyin (so 老人正 finds 老人证), longer mentions counting more;
- BM25 (bm25s) over character bigrams and jieba words of every item's names, aliases, keywords,
  sample questions, department names and summary — tolerant of a wrong or missing character;
- BM25 over pinyin syllable bigrams, for homophones the exact layer cannot see;
- the learned matcher (matcher.py): cosine with each item's centroid of character n-grams, learned
  from its names, aliases, citizen words (knowledge/citizen_words.yml, resolved unanswered questions),
  sample questions and materials — for the situation a citizen describes instead of naming the item.
An item's citizen words (牙科门诊 → 医疗机构执业登记) count as mentions, a little more than an alias,
and lift their item above the others sharing the thing they concern (公司搬家 … 营业执照).
Below a confidence nothing is returned (`_confident`): an unrelated item is never offered.
Old department names (工商局, 国税局 …) count for the items of the department that took over.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import bm25s
import numpy as np

from bot.configuration import ItemMatcherConfig, ThresholdsConfig
from bot.nlu.matcher import ItemMatcher
from bot.nlu.pinyin import PinyinTable
from bot.nlu.postings import PostingLists
from bot.nlu.text import Tokenizer, bracket_parts, char_ngrams, normalize, strip_brackets

logging.getLogger("bm25s").setLevel(logging.WARNING)

MAX_MENTION = 60  # longest name or alias matched as a whole (characters)
MAX_PINYIN_MENTION = 8  # longest alias matched by sound (syllables)
MAX_CITIZEN_MENTION = 12  # longer citizen words are whole questions: they teach the matcher, not mentions
# A citizen word names the situation the citizen is in ("公司搬家"): it says which item more surely
# than the name of the thing it concerns ("营业执照"), so it counts a little more than an alias.
CITIZEN_WEIGHT = 1.2
MAX_MATERIAL_EXAMPLES = 12
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


@dataclass(frozen=True)
class Mentions:
    """The items a question mentions by name: one row per item (positions ascending), with the value,
    span and weight of its best mention."""

    positions: np.ndarray
    values: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    weights: np.ndarray

    @classmethod
    def best_of(cls, found: list[tuple[np.ndarray, np.ndarray, float, int, int]]) -> Mentions:
        """From every (positions, weights, length, start, end) a mention hit. An item's best mention is
        the highest valued (the first found among equals); a second, separate mention of the same item
        (a name and a citizen word of it) is more evidence for it: half its value is added."""
        if not found:
            empty = np.zeros(0, dtype=np.int64)
            return cls(empty, np.zeros(0, dtype=np.float32), empty, empty, np.zeros(0, dtype=np.float32))
        sizes = [len(hit[0]) for hit in found]
        positions = np.concatenate([hit[0] for hit in found]).astype(np.int64)
        weights = np.concatenate([hit[1] for hit in found])
        values = weights * np.repeat(np.array([2.0 + hit[2] for hit in found], dtype=np.float32), sizes)
        starts = np.repeat(np.array([hit[3] for hit in found]), sizes)
        ends = np.repeat(np.array([hit[4] for hit in found]), sizes)
        order = np.lexsort((np.arange(len(positions)), -values, positions))
        positions, values, weights, starts, ends = (a[order] for a in (positions, values, weights, starts, ends))
        first = np.concatenate([[True], positions[1:] != positions[:-1]])
        group = np.cumsum(first) - 1
        best = np.flatnonzero(first)
        apart = (ends <= starts[best][group]) | (starts >= ends[best][group])
        extra = np.zeros(len(best), dtype=np.float32)
        np.maximum.at(extra, group[apart], values[apart])
        return cls(positions[best], values[best] + 0.5 * extra, starts[best], ends[best], weights[best])

    def mention(self, position: int) -> int | None:
        """The row of item `position`, None when the question does not mention it."""
        row = int(np.searchsorted(self.positions, position))
        return row if row < len(self.positions) and self.positions[row] == position else None

    def words(self, letters: str, position: int) -> str | None:
        """The words of the question that mention item `position`."""
        row = self.mention(position)
        return None if row is None else letters[int(self.starts[row]):int(self.ends[row])]


class ItemIndex:
    """Search structure over the items of one knowledge-base snapshot."""

    def __init__(self, items: Mapping[str, dict[str, Any]], department_aliases: dict[str, str],
                 tokenizer: Tokenizer, pinyin: PinyinTable, stop_phrases: Iterable[str] = (),
                 extra_words: dict[str, list[str]] | None = None, settings: ItemMatcherConfig | None = None,
                 bars: ThresholdsConfig | None = None) -> None:
        """`extra_words`: more names by item id (nlu_data's synonyms, see `synonym_words`); `settings`:
        config.yml's `item_matcher:` block; `bars`: its `thresholds:` (min_candidate_score,
        min_candidate_similarity, sure_candidate_score; None: every candidate is offered)."""
        settings = settings or ItemMatcherConfig()
        self.tokenizer = tokenizer
        self.pinyin = pinyin
        self.text_weight = 0.4  # sample questions and summaries count less than names and aliases
        self.matcher_weight = settings.matcher_weight
        self.citizen_boost = settings.citizen_boost
        self.min_score = bars.min_candidate_score if bars else 0.0
        self.min_similarity = bars.min_candidate_similarity if bars else 0.0
        self.sure_score = bars.sure_candidate_score if bars else 0.0
        extra_words = extra_words or {}
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
        # For citizen words: whole stop phrases only; a one-character particle may be part of the word (酒吧).
        phrases = [p for p in self._stop if len(p) > 1]
        self._phrase_pattern = re.compile("|".join(map(re.escape, phrases))) if phrases else None
        self._mention_lists: dict[str, list[tuple[int, float]]] = {}  # become self._mentions once complete
        self._pinyin_lists: dict[str, list[tuple[int, float]]] = {}
        # First two characters (syllables) of every surface: most positions of a question start none.
        self._mention_starts: set[str] = set()
        self._pinyin_starts: set[tuple[str, str]] = set()
        self._longest_mention = 0
        name_documents, text_documents, pinyin_documents = [], [], []
        examples: list[list[tuple[str, float]]] = []
        for position, item_id in enumerate(self.ids):
            record = items[item_id]
            citizen = [normalize(w) for w in record.get("citizen_words") or []]
            names = self._surfaces(record)
            known = {surface for surface, _ in names}
            for surface, weight in names:
                self._add_mention(surface, position, weight)
            # nlu_data's synonyms of an item are more names of it (老年优待证): mentioned, they count as an
            # alias; they stay out of BM25 and the matcher, where repeating the item's common word
            # ("公积金提取", "提取公积金" …) would make it the answer to every question naming only that word.
            for word in dict.fromkeys(compact(normalize(w)) for w in extra_words.get(item_id, [])):
                if len(word) >= 2 and word not in known:
                    self._add_mention(word, position, 1.0)
                    known.add(word)
            # "阳光卡怎么办" (a resolved question) is mentioned as "阳光卡": what it asks is no part of the name.
            situations = [w for w in dict.fromkeys(compact(self._phrase_pattern.sub(" ", w) if self._phrase_pattern
                                                           else w) for w in citizen)
                          if 2 <= len(w) <= MAX_CITIZEN_MENTION and w not in known]
            for word in situations:
                # By sound only from four syllables: a short everyday word sounds like too many others
                # (失明 / 是名, 下岗 / 侠钢).
                self._add_mention(word, position, CITIZEN_WEIGHT, min_syllables=4)
            name_text = " ".join(s for s, w in names if w >= 0.9)
            name_documents.append(self._tokens(self._strip_stop(name_text)))
            questions = [normalize(q) for q in record.get("questions") or []]
            # Short citizen words stay out of BM25 (they are mentions): many repeat a common word
            # ("公积金") and would tip a question that names only it towards one of the items sharing it.
            # Longer ones are whole questions staff resolved: read like sample questions.
            text_fields = [s for s, w in names if w < 0.9] + questions
            text_fields += [w for w in citizen if len(compact(w)) > MAX_CITIZEN_MENTION]
            text_fields += [normalize(record.get("department") or ""), normalize(record.get("summary") or "")]
            text_documents.append(self._tokens(" ".join(self._strip_stop(t) for t in text_fields)))
            pinyin_documents.append(self._pinyin_tokens(name_text))
            materials = [normalize(str(m.get("name", ""))) for m in (record.get("materials") or [])
                         if isinstance(m, dict)][:MAX_MATERIAL_EXAMPLES]
            examples.append([(s, 1.0) for s, w in names if w >= 0.9] + [(s, 0.6) for s, w in names if w < 0.9]
                            + [(w, 1.0) for w in citizen] + [(q, 0.8) for q in questions]
                            + [(m, 0.15) for m in materials])
        self.matcher = ItemMatcher(settings.matcher_features, prepare=self._strip_stop).fit(examples)
        # One posting list per token over all three BM25 indexes (bm25s computes the weights), so a
        # query costs one concatenate and one bincount however many tokens it has.
        postings: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}  # item positions (int32), weights
        for prefix, documents, weight in (("", name_documents, 1.0), ("", text_documents, self.text_weight),
                                          ("p:", pinyin_documents, 0.5)):
            self._collect_postings(postings, prefix, self._build(documents), weight)
        self._postings = PostingLists.from_arrays(postings)
        self._mentions, self._pinyin_mentions = (PostingLists.from_pairs(self._mention_lists),
                                                 PostingLists.from_pairs(self._pinyin_lists))
        del self._mention_lists, self._pinyin_lists
        by_department: dict[str, list[int]] = {}
        for position, item_id in enumerate(self.ids):
            by_department.setdefault(items[item_id].get("department") or "", []).append(position)
        self._department_positions = {k: np.array(v) for k, v in by_department.items()}
        # Themes (一件事, 全程办理指南) answer "the whole of it": a question asking for all the steps leans to them.
        self._themes = np.array([p for p, i in enumerate(self.ids) if items[i].get("steps")], dtype=np.int64)
        cues = sorted({compact(normalize(c)) for c in settings.theme_cues} - {""}, key=len, reverse=True)
        self._theme_cues = re.compile("|".join(map(re.escape, cues))) if cues and len(self._themes) else None
        self.theme_boost = settings.theme_boost

    def __getstate__(self) -> dict[str, Any]:
        """What is saved (index_store.py): everything but the tokenizer and the pinyin table, which the
        reader has already and passes to `attach`."""
        return {**self.__dict__, "tokenizer": None, "pinyin": None}

    def attach(self, tokenizer: Tokenizer, pinyin: PinyinTable) -> None:
        """Give an index read from disk the tokenizer and pinyin table it searches with."""
        self.tokenizer, self.pinyin = tokenizer, pinyin

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

    def _add_mention(self, surface: str, position: int, weight: float, min_syllables: int = 2) -> None:
        if len(surface) <= MAX_MENTION:
            self._mention_lists.setdefault(surface, []).append((position, weight))
            self._mention_starts.add(surface[:2])
            self._longest_mention = max(self._longest_mention, len(surface))
        syllables = self.pinyin.syllables(surface)
        if min_syllables <= len(syllables) <= MAX_PINYIN_MENTION and any(len(s) > 1 for s in syllables):
            self._pinyin_lists.setdefault(" ".join(syllables), []).append((position, weight))
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
                    (indices[start:end].astype(np.int32), (data[start:end] * weight).astype(np.float32)))

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
        scores[exact.positions] += exact.values
        query = self._strip_stop(text[:300])
        tokens = dict.fromkeys(self._tokens(query, None if words is None else [w for w in words if w in query]))
        postings = self._postings
        pinyin_bigrams = dict.fromkeys(f"p:{a}_{b}" for a, b in zip(syllables, syllables[1:]))
        hits = [hit for hit in map(postings.get, [*tokens, *pinyin_bigrams]) if hit is not None]
        if hits:
            scores += np.bincount(np.concatenate([h[0] for h in hits]), np.concatenate([h[1] for h in hits]),
                                  minlength=len(self.ids))
        # The matcher is for questions that name no item: one that does is found by its name (and
        # saves the matcher's time, most questions do).
        named = bool((exact.weights >= 0.9).any())
        similarity = self.matcher.scores(text[:300]) if not named else None
        if self.matcher_weight and similarity is not None:
            scores += self.matcher_weight * similarity
        situations = exact.positions[exact.weights >= CITIZEN_WEIGHT]
        if len(situations):
            # The citizen's situation ("公司搬家") decides among the items that share the thing it
            # concerns ("营业执照" names 企业设立登记 too).
            scores[situations] *= self.citizen_boost
        for department in departments:
            positions = self._department_positions.get(department)
            if positions is not None:
                scores[positions] *= 1.3
        if self._theme_cues is not None and self._theme_cues.search(letters):
            scores[self._themes] *= self.theme_boost
        top = _best(scores, limit)
        if not len(top) or not self._confident(top[0], float(scores[top[0]]), exact,
                                               0.0 if similarity is None else float(similarity[top[0]])):
            return []  # nothing fits well enough: better "not found" than an unrelated item
        return [Candidate(self.ids[p], self.names[p], round(float(scores[p]), 3), exact.mention(p) is not None,
                          exact.words(letters, p)) for p in top if scores[p] >= max(self.min_score, 1e-6)]

    def _confident(self, position: int, score: float, exact: Mentions, similarity: float) -> bool:
        """Whether the best item fits the question well enough to be offered at all.

        Enough score, and one more sign that it is this item: the question names it (a name, alias or
        citizen word, not a mere keyword), or the matcher finds the question close to what the item
        is asked with, or the score is high beyond doubt. Shared words alone ("登记", "酒店") are not enough.
        """
        if score < max(self.min_score, 1e-6):
            return False
        row = exact.mention(position)
        named = row is not None and exact.weights[row] >= 0.9
        return named or similarity >= self.min_similarity or score >= self.sure_score

    def _exact_mentions(self, letters: str, syllables: list[str]) -> Mentions:
        """Items mentioned by name or alias, each with its best mention.

        Longer mentions score more; a pinyin (homophone) mention a little less than the right characters.
        """
        found: list[tuple[np.ndarray, np.ndarray, float, int, int]] = []  # positions, weights, length, span
        length = len(letters)
        for start in range(length - 1):
            if letters[start:start + 2] not in self._mention_starts:
                continue
            for end in range(start + 2, min(length, start + self._longest_mention) + 1):
                hits = self._mentions.get(letters[start:end])
                if hits is not None:
                    found.append((*hits, end - start, start, end))
        if len(syllables) == length:  # positions line up only when every character has one syllable
            for start in range(length - 1):
                if (syllables[start], syllables[start + 1]) not in self._pinyin_starts:
                    continue
                for end in range(start + 2, min(length, start + MAX_PINYIN_MENTION) + 1):
                    hits = self._pinyin_mentions.get(" ".join(syllables[start:end]))
                    if hits is not None:
                        found.append((*hits, (end - start) * 0.8, start, end))
        return Mentions.best_of(found)

    def position(self, item_id: str) -> int | None:
        return self._position.get(item_id)


def synonym_words(synonyms: dict[str, str], items: Mapping[str, dict[str, Any]]) -> dict[str, list[str]]:
    """nlu_data's synonyms whose canonical value names an item (its id, name or bracket-less name),
    as more aliases of that item.

    Left out: synonyms of no item (departments: departments.yml holds their names), and words that
    occur in another item's name or alias too ("公积金" for 住房公积金提取 is as much 公积金贷款's):
    an entity synonym maps a word to a value, it does not make the word that item's own name."""
    by_name: dict[str, str] = {}
    names_of: dict[str, str] = {}
    for item_id, record in items.items():
        for key in (item_id, record["name"], strip_brackets(record["name"])):
            by_name.setdefault(compact(normalize(key)), item_id)
        names_of[item_id] = "\n".join(compact(normalize(n)) for n in [record["name"], *(record.get("aliases") or [])])
    every_name = "\n".join(names_of.values())  # one search per synonym, however large the catalogue
    words: dict[str, list[str]] = {}
    for surface, canonical in synonyms.items():
        named = by_name.get(compact(normalize(canonical)))
        key = compact(normalize(surface))
        if named is None or not key or every_name.count(key) > names_of[named].count(key):
            continue
        words.setdefault(named, []).append(surface)
    return words
