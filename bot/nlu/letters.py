"""Long letters (市长信箱, online consultation, Weibo): what kind of letter it is, and whose business.

A message at least `letters.min_chars` long is read as a letter. Two small models read it:

- its type — enquiry (咨询), complaint (投诉), suggestion (建议) or help (求助) — from config.yml's cue words
  and, once labelled real letters exist (nlu_data/letter_labels.csv, by corpus id), a logistic regression
  trained on them (cue words become features of it, so a few hundred letters suffice);
- its topic — the seven first-level labels of the TipDM citizen messages (城乡建设, 劳动和社会保障 …) —
  trained on the training part of those corpora and mapped to one of the centre's departments by
  config.yml's `letters.topic_departments`.

Training needs scikit-learn (it runs in the training child); prediction is a vocabulary lookup and one
small matrix product in numpy. Every input training reads is covered by `inputs_digest`, so a changed
label file or corpus retrains the model.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.configuration import Configuration, LettersConfig
from bot.nlu import corpora
from bot.nlu.text import Tokenizer, normalize

LETTER_TYPES = ("enquiry", "complaint", "suggestion", "help")
TONES = ("angry", "upset", "calm")
# What the dialogue does with a letter of each type: a complaint or suggestion opens its form with the
# letter as what happened; an enquiry is a guide question; a plea for help goes to staff (after hours a
# question ticket is left for them).
INTENT_OF_TYPE = {"enquiry": "ask_guide", "complaint": "complain", "suggestion": "suggest", "help": "request_human"}
# Real letters labelled by id: the TipDM citizen messages and the letters of its message → reply pairs.
LETTER_CORPORA = (corpora.CITIZEN_MESSAGES, corpora.GOV_REPLIES)
LETTER_LABELS = Path(__file__).resolve().parents[2] / "nlu_data" / "letter_labels.csv"
MAX_LETTER_CHARS = 1000  # longer letters are read from their beginning (as far as Interpreter.parse reads)
MAX_TITLE_CHARS = 80
_SENTENCE_END = re.compile(r"[。!?！？；;\n]+")
_NON_WORD = re.compile(r"[^\u4e00-\u9fffa-z0-9]+")


@dataclass(frozen=True)
class Letter:
    """What a long message is: its type and, when the topic model is sure enough, its department."""

    type: str
    type_confidence: float
    topic: str | None = None
    topic_confidence: float = 0.0
    department: str | None = None
    angry: float | None = None  # 0–1, ≥ 0.5 when angrier than calm letters ever read (None: no tone model)
    to_government: float | None = None  # 0–1, how surely a letter to government, not everyday chat (None: no model)

    @property
    def intent(self) -> str:
        return INTENT_OF_TYPE[self.type]

    def as_dict(self) -> dict[str, Any]:
        return {"type": self.type, "confidence": round(self.type_confidence, 4), "topic": self.topic,
                "topic_confidence": round(self.topic_confidence, 4), "department": self.department,
                "angry": None if self.angry is None else round(self.angry, 4)}


class LinearModel:
    """One-vs-rest logistic regression over sublinear, L2-normalised TF-IDF of string features."""

    def __init__(self, classes: Sequence[str], vocabulary: dict[str, int], idf: np.ndarray, weights: np.ndarray,
                 bias: np.ndarray, one_vs_rest: bool = False) -> None:
        self.classes = list(classes)
        self.one_vs_rest = one_vs_rest
        self.vocabulary = vocabulary
        self.idf = idf
        self.weights = weights  # features × classes
        self.bias = bias

    @classmethod
    def fit(cls, documents: Sequence[list[str]], labels: Sequence[str], regularization: float, min_df: int = 1,
            large: bool = False) -> LinearModel:
        """Train (imports scikit-learn). `documents` are feature lists, one per example. A small set is fitted
        exactly (multinomial, `regularization` = C, larger = closer fit); a `large` one by stochastic gradient
        descent (`regularization` = the L2 penalty alpha, larger = smoother), which takes a tenth of the time."""
        return cls.fit_on(*vectorize(documents, min_df), labels, regularization, large)

    @classmethod
    def fit_on(cls, matrix: Any, vocabulary: dict[str, int], idf: np.ndarray, labels: Sequence[str],
               regularization: float, large: bool = False) -> LinearModel:
        """Train on rows of a matrix `vectorize` made; models fitted on one vocabulary share it in memory."""
        from sklearn.linear_model import LogisticRegression, SGDClassifier

        model: Any
        if large:
            model = SGDClassifier(loss="log_loss", alpha=regularization, max_iter=30, tol=1e-4,
                                  class_weight="balanced", random_state=0)
        else:
            model = LogisticRegression(C=regularization, max_iter=1000, class_weight="balanced")
        model.fit(matrix, list(labels))
        coef, intercept = model.coef_, model.intercept_
        if coef.shape[0] == 1:  # two classes: scikit-learn keeps the second class's row only
            coef, intercept = np.vstack([0 * coef, coef]), np.array([0.0, intercept[0]])
        return cls([str(c) for c in model.classes_], vocabulary, idf,
                   np.ascontiguousarray(coef.T, dtype=np.float32), np.asarray(intercept, dtype=np.float32),
                   one_vs_rest=large)

    def probabilities(self, tokens: Iterable[str]) -> dict[str, float]:
        counts: dict[int, int] = {}
        for token in tokens:
            index = self.vocabulary.get(token)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        scores = self.bias.astype(np.float64)
        if counts:
            indices = np.fromiter(counts, dtype=np.int64, count=len(counts))
            values = (np.log(np.fromiter(counts.values(), dtype=np.float32, count=len(counts))) + 1.0) \
                * self.idf[indices]
            values /= np.linalg.norm(values)
            scores = scores + values @ self.weights[indices]
        if self.one_vs_rest:  # logistic scores normalised to sum to one, as scikit-learn's predict_proba does
            positive = 1.0 / (1.0 + np.exp(-scores))
        else:  # multinomial (and a two-class model, whose first score is 0): softmax
            positive = np.exp(scores - scores.max())
        total = positive.sum()
        shares = (positive / total if total > 0 else np.full_like(positive, 1 / positive.size)).tolist()
        return dict(zip(self.classes, shares))


def vectorize(documents: Sequence[list[str]], min_df: int = 1) -> tuple[Any, dict[str, int], np.ndarray]:
    """Sublinear TF-IDF of feature lists: (matrix, vocabulary, idf), for `LinearModel.fit_on`."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, min_df=min_df, dtype=np.float32)
    matrix = vectorizer.fit_transform(documents).tocsr()
    vocabulary = {token: int(index) for token, index in vectorizer.vocabulary_.items()}
    return matrix, vocabulary, vectorizer.idf_.astype(np.float32)


def _identity(tokens: list[str]) -> list[str]:
    return tokens


class LetterCues:
    """config.yml's cue words of each letter type; the opening sentence (a letter's subject line) counts double."""

    def __init__(self, cues: dict[str, list[str]]) -> None:
        unknown = set(cues) - set(LETTER_TYPES)
        if unknown:
            raise ValueError(f"config.yml letters.cues: unknown letter types {sorted(unknown)}")
        self._patterns = {kind: re.compile("|".join(map(re.escape, sorted({normalize(w) for w in words if w},
                                                                             key=len, reverse=True))))
                          for kind, words in cues.items() if any(words)}

    def counts(self, text: str) -> dict[str, float]:
        opening = _SENTENCE_END.split(text, maxsplit=1)[0]
        return {kind: len(pattern.findall(text)) + len(pattern.findall(opening))
                for kind, pattern in self._patterns.items()}

    def guess(self, text: str) -> tuple[str, float]:
        """The type the cue words point at (enquiry when none does), with a rough confidence."""
        counts = self.counts(text)
        questions = text.count("?")
        scores = {"enquiry": 0.5 * counts.get("enquiry", 0) + 0.5 * min(questions, 2),
                  "complaint": 0.8 * counts.get("complaint", 0), "suggestion": 1.0 * counts.get("suggestion", 0),
                  "help": 1.2 * counts.get("help", 0)}
        best = max(LETTER_TYPES, key=lambda kind: scores[kind])
        total = sum(scores.values())
        return (best, scores[best] / total) if total > 0 else ("enquiry", 0.25)

    def features(self, text: str) -> list[str]:
        counts = self.counts(text)
        return [f"cue:{kind}" for kind, n in counts.items() for _ in range(min(int(n), 5))]


def letter_features(text: str, words: list[str], cues: LetterCues, title: str = "",
                    title_words: Sequence[str] = ()) -> list[str]:
    """Features of a normalised letter for its type: its words, the character bigrams of its opening and
    closing sentences (where a letter says what it is and what it asks for), its cue counts and question
    marks; and of its subject line (`title`, when it has one) the words, characters, bigrams and cues.
    (Bigrams of the whole body only add noise: measured by cross-validation on the training letters.)"""
    features = ["w:" + w for w in words]
    sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
    if sentences:
        features.extend("o:" + g for g in _bigrams(sentences[0]))
        features.extend("e:" + g for s in sentences[-2:] for g in _bigrams(s))
    features.append(f"q:{min(text.count('?'), 3)}")
    features.extend(cues.features(text))
    if title:
        compacted = _NON_WORD.sub("", title)
        features.extend("T:" + w for w in title_words)
        features.extend("t:" + compacted[i:i + n] for n in (1, 2) for i in range(len(compacted) - n + 1))
        features.extend("tk:" + f for f in cues.features(title))
        features.append(f"tq:{min(title.count('?'), 1)}")
    return features


def subject_line(raw: str) -> str:
    """A letter's subject line: its first line when a short first line stands above the body ("" if none)."""
    first, _, rest = raw.strip().partition("\n")
    return normalize(first) if rest.strip() and len(first) <= MAX_TITLE_CHARS else ""


def topic_features(words: Iterable[str]) -> list[str]:
    """Features of a letter for its topic: its words of two characters or more (word bigrams cost ten
    times the training time for no measurable accuracy)."""
    return [w for w in words if len(w) >= 2 and not w.isdigit()]


def _bigrams(sentence: str) -> list[str]:
    compacted = _NON_WORD.sub("", sentence)
    return [compacted[i:i + 2] for i in range(len(compacted) - 1)]


class LetterModel:
    """What `Interpreter.parse` asks about a long message (`analyse`); built by `train_letter_model`."""

    def __init__(self, settings: LettersConfig, types: LinearModel | None, topics: LinearModel | None,
                 tones: LinearModel | None, anger_bar: float = 0.5, government: LinearModel | None = None) -> None:
        self.settings = settings
        self.cues = LetterCues({str(kind): words for kind, words in settings.cues.items()})
        self.types = types
        self.topics = topics
        self.tones = tones
        self.anger_bar = anger_bar  # the tone model's angry share that only few calm letters reach
        # Real letters against real everyday requests: a long message the intent classifier took for
        # everyday chat may still be a letter to government ("小区门口的路灯坏了半年…").
        self.government = government

    def to_government(self, letter: Letter) -> bool:
        """Is a long message that reads as not the centre's business a letter to government after all?"""
        return letter.to_government is not None and letter.to_government >= self.settings.government_bar

    @property
    def departments(self) -> dict[str, str]:
        return dict(self.settings.topic_departments)

    def is_letter(self, text: str, words: Sequence[str]) -> bool:
        """Long enough, and in enough different words ("要带啥啊啊啊……" is no letter however long)."""
        return len(text) >= self.settings.min_chars and len(set(words)) >= self.settings.min_words

    def analyse(self, text: str, words: list[str], title: str = "", title_words: Sequence[str] = ()) -> Letter:
        """Type, topic and department of normalised `text` with its jieba `words`; `title` is its subject
        line (`subject_line` of the text as sent) with its words."""
        text = text[:MAX_LETTER_CHARS]
        features = letter_features(text, words, self.cues, title, title_words) \
            if self.types or self.tones or getattr(self, "government", None) else []
        if self.types is not None:
            shares = self.types.probabilities(features)
            kind = max(shares, key=lambda k: shares[k])
            kind_confidence = shares[kind]
        else:
            kind, kind_confidence = self.cues.guess(text)
        topic, topic_confidence, department = None, 0.0, None
        if self.topics is not None:
            shares = self.topics.probabilities(topic_features(words))
            topic = max(shares, key=lambda k: shares[k])
            topic_confidence = shares[topic]
            if topic_confidence >= self.settings.min_topic_confidence:
                department = self.departments.get(topic)
        angry = None
        if self.tones is not None:
            share, bar = self.tones.probabilities(features).get("angry", 0.0), self.anger_bar
            angry = 0.5 * share / bar if share < bar else 0.5 + 0.5 * (share - bar) / max(1.0 - bar, 1e-6)
        government = getattr(self, "government", None)  # absent from a model saved before it existed
        to_government = government.probabilities(features).get("letter", 0.0) if government is not None else None
        return Letter(kind, kind_confidence, topic, topic_confidence, department, angry, to_government)


# --- training (in the training child) -------------------------------------------------------------------


def read_labels(path: Path) -> dict[str, dict[str, str]]:
    """Letter labels by corpus id ({"type", "tone"}); rows with an unknown type or tone are skipped."""
    if not path.is_file():
        return {}
    labels = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            key = (row.get("id") or "").strip()
            kind, tone = (row.get("type") or "").strip(), (row.get("tone") or "").strip()
            if key and kind in LETTER_TYPES:
                labels[key] = {"type": kind, "tone": tone if tone in TONES else ""}
    return labels


def labelled_letters(path: Path, part: corpora.Part = "train") -> list[tuple[str, str, str]]:
    """(text as sent, type, tone) of the corpus letters of `part` that `path` labels (a letter id found in
    both letter corpora is the citizen-messages one)."""
    labels = read_labels(path)
    letters, seen = [], set()
    for name in LETTER_CORPORA:
        for row in corpora.rows(name, part):
            key = str(row.get("id"))
            if key in labels and key not in seen:
                seen.add(key)
                letters.append((row["text"], labels[key]["type"], labels[key]["tone"]))
    return letters


def features_of(raw: str, tokenizer: Tokenizer, cues: LetterCues) -> list[str]:
    """`letter_features` of a letter as sent (what training and the evaluation compute)."""
    text = normalize(raw)[:MAX_LETTER_CHARS]
    title = subject_line(raw)
    return letter_features(text, tokenizer.words(text), cues, title, tokenizer.words(title) if title else [])


def topic_training_set(tokenizer: Tokenizer) -> tuple[list[list[str]], list[str]]:
    """Topic examples from the training parts of the raw and the segmented citizen messages.

    The split already keeps a segmented row that names its raw twin (`matches_raw_id`) on the twin's side;
    segmented rows that name none but are near-copies of a held-out raw letter are dropped too, so the
    held-out letters stay unseen."""
    raw = [(tokenizer.words(normalize(r["text"])[:MAX_LETTER_CHARS]), str(r["label"]))
           for r in corpora.rows(corpora.CITIZEN_MESSAGES) if r.get("label")]
    segmented = [(normalize(r["text"]).split(), str(r["label"]))
                 for r in corpora.rows(corpora.CITIZEN_MESSAGES_SEGMENTED) if r.get("label")]
    held_out = [tokenizer.words(normalize(r["text"])) for r in corpora.rows(corpora.CITIZEN_MESSAGES, "held_out")]
    segmented = [example for example, twin in zip(segmented, _near_copies([w for w, _ in segmented], held_out))
                 if not twin]
    examples = raw + segmented
    return [topic_features(words) for words, _ in examples], [label for _, label in examples]


def _near_copies(documents: list[list[str]], others: list[list[str]], containment: float = 0.7) -> list[bool]:
    """For each document: do at least `containment` of its distinct words occur in one of `others`?"""
    if not documents or not others:
        return [False] * len(documents)
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(analyzer=_identity, binary=True).fit(documents)
    mine, theirs = vectorizer.transform(documents), vectorizer.transform(others)
    shared = (mine @ theirs.T).max(axis=1).toarray().ravel()
    sizes = np.maximum(np.asarray(mine.sum(axis=1)).ravel(), 1)
    return (shared / sizes >= containment).tolist()


def train_letter_model(config: Configuration, tokenizer: Tokenizer, labels_path: Path = LETTER_LABELS) -> LetterModel:
    """Train the letter type, tone and topic models on what is there (each is None without its data)."""
    settings = config.letters
    cues = LetterCues({str(kind): words for kind, words in settings.cues.items()})
    letters = labelled_letters(labels_path)
    types = tones = topics = government = None
    anger_bar = 0.5
    if len({kind for _, kind, _ in letters}) >= 2:
        documents = [features_of(raw, tokenizer, cues) for raw, _, _ in letters]
        everyday = [features_of(str(row["text"]), tokenizer, cues) for row in corpora.rows(corpora.NONGOV)]
        # One vocabulary for the type, tone and letter-or-everyday models (a serving process holds it once).
        matrix, vocabulary, idf = vectorize(documents + everyday, min_df=2)
        letter_rows = matrix[:len(documents)]
        if everyday:
            government = LinearModel.fit_on(matrix, vocabulary, idf,
                                            ["letter"] * len(documents) + ["everyday"] * len(everyday),
                                            settings.government_C)
        types = LinearModel.fit_on(letter_rows, vocabulary, idf, [kind for _, kind, _ in letters],
                                   settings.type_C)
        toned = [(document, tone, kind) for document, (_, kind, tone) in zip(documents, letters) if tone]
        if {"angry", "calm"} <= {tone for _, tone, _ in toned}:
            tone_c = settings.tone_C
            rows = [n for n, (_, _, tone) in enumerate(letters) if tone]
            tones = LinearModel.fit_on(letter_rows[rows], vocabulary, idf,
                                       ["angry" if t == "angry" else "other" for _, t, _ in toned], tone_c)
            anger_bar = _anger_bar(toned, tone_c, settings.calm_flag_share)
    documents, topic_labels = topic_training_set(tokenizer)
    if len(set(topic_labels)) >= 2:
        topics = LinearModel.fit(documents, topic_labels, settings.topic_alpha, min_df=2,
                                 large=True)
    return LetterModel(settings, types, topics, tones, anger_bar, government)


def _anger_bar(toned: list[tuple[list[str], str, str]], regularization: float, calm_share: float) -> float:
    """The angry share above which only `calm_share` of calm enquiry letters fall (an enquiry must not be
    interrupted by an offer of a human; an upset complainant may well be offered one), read from 5-fold
    out-of-fold predictions (in-sample shares of a letter the model was fitted on are too confident)."""
    calm_shares: list[float] = []
    for fold in range(5):
        train = [(d, t) for i, (d, t, _) in enumerate(toned) if i % 5 != fold]
        if len({t == "angry" for _, t in train}) < 2:
            continue
        model = LinearModel.fit([d for d, _ in train], ["angry" if t == "angry" else "other" for _, t in train],
                                regularization, min_df=2)
        calm_shares += [model.probabilities(d).get("angry", 0.0) for i, (d, t, kind) in enumerate(toned)
                        if i % 5 == fold and t == "calm" and kind == "enquiry"]
    return float(np.quantile(calm_shares, 1.0 - calm_share)) if calm_shares else 0.5


_digests: dict[tuple[str, float, int], str] = {}


def _file_digest(path: Path) -> str:
    if not path.is_file():
        return "absent"
    status = path.stat()
    key = (str(path), status.st_mtime, status.st_size)
    if key not in _digests:
        _digests[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return _digests[key]


def inputs_digest(config: Configuration, labels_path: Path = LETTER_LABELS) -> bytes:
    """What the letter models are trained from: settings, the label file and the corpora files read."""
    files = [labels_path, *(corpora.corpora_dir() / name for name in (*LETTER_CORPORA, corpora.NONGOV)),
             corpora.corpora_dir() / corpora.CITIZEN_MESSAGES_SEGMENTED]
    return json.dumps({"settings": config.letters.model_dump(mode="json"), "files": [_file_digest(p) for p in files],
                       "held_out_share": corpora.HELD_OUT_SHARE}, sort_keys=True, ensure_ascii=False,
                      default=str).encode()
