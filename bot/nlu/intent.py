"""Intent classification: one-vs-rest linear SVMs over TF-IDF of character n-grams and jieba words,
with sigmoid-calibrated confidences; and the scope decision (`ScopePolicy`, Rasa FallbackClassifier
style bars per intent) with the business words that count as evidence (`derive_business_words`).

scikit-learn does the training; prediction uses the learned weights directly (vocabulary lookup,
TF-IDF, one small matrix product) because going through the estimator API costs more per message
than the arithmetic itself. `test_intent.py` checks both compute the same decisions.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from bot.configuration import FallbackBar

from bot.nlu.text import Tokenizer


_DIGITS = re.compile(r"\d+")


class IntentClassifier:
    """Trained with `fit`; `predict` returns every intent with its confidence, best first."""

    def __init__(self, char_ngrams: tuple[int, int] = (1, 3), regularization: float = 0.5,
                 balance: float = 1.0, min_df: int = 1, nb_alpha: float = 0.0) -> None:
        self.char_ngrams = char_ngrams
        self.regularization = regularization
        self.balance = balance  # 1: every intent weighs the same; 0: every example does
        self.min_df = min_df  # features seen in fewer training texts are dropped (noise, and memory)
        self.nb_alpha = nb_alpha  # naive-Bayes smoothing of the feature scaling; 0: a plain SVM
        self.intents: list[str] = []
        self._vocabulary: dict[str, int] = {}
        self._idf = np.zeros(0, dtype=np.float32)
        self._weights = np.zeros((0, 0), dtype=np.float32)  # features × intents
        self._bias = np.zeros(0, dtype=np.float32)
        self._sigmoid_a = np.zeros(0, dtype=np.float32)
        self._sigmoid_b = np.zeros(0, dtype=np.float32)
        self._calibrated = False

    def features(self, text: str, words: list[str]) -> list[str]:
        """Character n-grams (with sentence boundaries), jieba `words` and word bigrams of normalised text."""
        low, high = self.char_ngrams
        # A number is a number: its digits say nothing of intent ("地税登记2035" is no case query).
        padded = "^" + _DIGITS.sub("0", text) + "$"
        grams = [padded[i:i + n] for n in range(low, high + 1) for i in range(len(padded) - n + 1)
                 if padded[i:i + n] not in ("^", "$")]
        grams.extend("w:" + w for w in words)
        grams.extend(f"b:{a}|{b}" for a, b in zip(words, words[1:]))
        return grams

    def fit(self, texts: Sequence[str], labels: Sequence[str], tokenizer: Tokenizer) -> IntentClassifier:
        """Train on normalised texts (imports scikit-learn; prediction does not need it).

        One linear SVM per intent over TF-IDF features scaled by their naive-Bayes log-count ratio for that
        intent (NBSVM, Wang & Manning 2012); the scaling folds into the weights, so predicting stays one
        matrix product. Confidences are Platt sigmoids fitted on out-of-fold decisions.
        """
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(analyzer=lambda t: self.features(t, tokenizer.words(t)), sublinear_tf=True,
                                     dtype=np.float32, min_df=self.min_df)
        matrix = vectorizer.fit_transform(texts).tocsr()
        self._vocabulary = {token: int(index) for token, index in vectorizer.vocabulary_.items()}
        self._idf = vectorizer.idf_.astype(np.float32)
        self.intents = sorted(set(labels))
        target = np.array([self.intents.index(label) for label in labels])
        counts = Counter(labels)
        # Every intent may weigh the same however many examples it has (the thousands of real everyday
        # requests must not make out_of_scope the likeliest answer to anything); `balance` tempers that.
        weights = np.array([(len(labels) / (len(counts) * counts[label])) ** self.balance for label in labels],
                           dtype=np.float64)
        smallest_class = min(counts.values())
        self._calibrated = smallest_class >= 2 and len(self.intents) > 1
        if self._calibrated:
            from sklearn.calibration import _sigmoid_calibration
            from sklearn.model_selection import StratifiedKFold

            decisions = np.zeros((len(labels), len(self.intents)))
            folds = StratifiedKFold(n_splits=min(3, smallest_class), shuffle=True, random_state=0)
            for train, test in folds.split(np.zeros(len(labels)), target):
                fold_weights, fold_bias = self._train_svms(matrix[train], target[train], weights[train])
                decisions[test] = matrix[test] @ fold_weights + fold_bias
            sigmoids = [_sigmoid_calibration(decisions[:, k], target == k, weights) for k in range(len(self.intents))]
            self._sigmoid_a = np.array([a for a, _ in sigmoids], dtype=np.float32)
            self._sigmoid_b = np.array([b for _, b in sigmoids], dtype=np.float32)
        coef, bias = self._train_svms(matrix, target, weights)
        self._weights = np.ascontiguousarray(coef, dtype=np.float32)
        self._bias = np.asarray(bias, dtype=np.float32)
        self._sklearn_check = vectorizer
        return self

    def _train_svms(self, matrix: Any, target: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Features × intents weights and the intents' biases of the one-vs-rest NBSVMs."""
        from sklearn.svm import LinearSVC

        coef = np.zeros((matrix.shape[1], len(self.intents)))
        bias = np.zeros(len(self.intents))
        for k in range(len(self.intents)):
            positive = target == k
            if positive.all() or not positive.any():
                bias[k] = 1.0 if positive.all() else -1.0
                continue
            ratio = np.ones(matrix.shape[1])
            if self.nb_alpha > 0:
                inside = np.asarray(matrix[positive].sum(axis=0)).ravel() + self.nb_alpha
                outside = np.asarray(matrix[~positive].sum(axis=0)).ravel() + self.nb_alpha
                ratio = np.log((inside / inside.sum()) / (outside / outside.sum()))
            svm = LinearSVC(C=self.regularization).fit(matrix.multiply(ratio).tocsr(), positive, sample_weight=weights)
            coef[:, k] = svm.coef_.ravel() * ratio
            bias[k] = svm.intercept_[0]
        return coef, bias

    def _vector(self, tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Sublinear TF-IDF, L2-normalised, as (feature indices, values) — what TfidfVectorizer computes."""
        counts: dict[int, int] = {}
        vocabulary = self._vocabulary
        for token in tokens:
            index = vocabulary.get(token)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        indices = np.array(list(counts), dtype=np.int64)
        values = (np.log(np.array(list(counts.values()), dtype=np.float32)) + 1.0) * self._idf[indices]
        values /= np.linalg.norm(values)
        return indices, values

    def decision(self, text: str, words: list[str]) -> np.ndarray:
        index, values = self._vector(self.features(text, words))
        if index.size == 0:
            return self._bias.copy()
        return values @ self._weights[index] + self._bias

    def predict(self, text: str, words: list[str]) -> list[tuple[str, float]]:
        """Every intent with its confidence (summing to 1), best first; `words` are the text's jieba words."""
        scores = self.decision(text, words)
        if self._calibrated:
            probabilities = 1.0 / (1.0 + np.exp(self._sigmoid_a * scores + self._sigmoid_b))
            total = probabilities.sum()
            probabilities = probabilities / total if total > 0 else np.full_like(probabilities, 1 / scores.size)
        else:
            shifted = np.exp(scores - scores.max())
            probabilities = shifted / shifted.sum()
        order = np.argsort(-probabilities).tolist()
        values = probabilities.tolist()
        return [(self.intents[i], values[i]) for i in order]

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_sklearn_check", None)  # holds a closure over the tokenizer; not needed to predict
        return state


class ScopePolicy:
    """Decides whether a business intent stands or the message is out of scope.

    Evidence of the centre's business comes in three strengths: NO_EVIDENCE, WORDS (a department or a
    business word) and NAMED (a knowledge-base item named outright, which alone keeps a business intent).
    The runner-up that counts for the ambiguity margin is the best intent on the other side of the scope
    line (not business): two business intents close together are still the centre's business.
    Settings (config.yml `thresholds.fallback`): a `default` bar and one per intent, as in Rasa's
    FallbackClassifier: the best intent must reach `threshold` and beat the runner-up by
    `ambiguity_threshold`; with no sign of the centre's business it must reach `without_evidence`
    instead. A key an intent's bar leaves out is the default bar's.
    """

    def __init__(self, bars: Mapping[str, FallbackBar], business_intents: frozenset[str]) -> None:
        default = bars.get("default") or FallbackBar()
        self.default = default
        self.bars = {intent: default.model_copy(update=bar.model_dump(exclude_unset=True))
                     for intent, bar in bars.items() if intent != "default"}
        self.business_intents = business_intents

    def bar(self, intent: str) -> FallbackBar:
        return self.bars.get(intent, self.default)

    def accepts(self, ranking: Sequence[tuple[str, float]], evidence: int) -> bool:
        """True when the best (business) intent clears its bar; `ranking` is best first."""
        if evidence >= NAMED:
            return True
        intent, confidence = ranking[0]
        bar = self.bar(intent)
        other = next((c for name, c in ranking[1:] if name not in self.business_intents), 0.0)
        needed = bar.threshold if evidence >= WORDS else max(bar.threshold, bar.without_evidence)
        return confidence >= needed and confidence - other >= bar.ambiguity_threshold


NO_EVIDENCE, WORDS, NAMED = 0, 1, 2


_HAN_WORD = re.compile(r"^[\u4e00-\u9fff]{2,8}$")


def derive_business_words(kb_texts: Iterable[list[str]], everyday_texts: Iterable[list[str]],
                          general: dict[str, int] | None = None, min_items: int = 2,
                          max_everyday_share: float = 0.0015, min_keyness: float = 200.0) -> frozenset[str]:
    """Words that mark the centre's business: used in several knowledge-base fields (`kb_texts`, one word
    list per field), (nearly) absent from everyday requests (`everyday_texts`, one word list per message),
    and far more frequent in the knowledge base than in general Chinese (`general`: word → frequency, as
    in jieba's dictionary; "材料" and "营业执照" pass, "一定" and "专业" do not)."""
    in_kb: Counter[str] = Counter()
    fields = 0
    for words in kb_texts:
        in_kb.update({w for w in words if _HAN_WORD.match(w)})
        fields += 1
    everyday: Counter[str] = Counter()
    total = 0
    for words in everyday_texts:
        everyday.update(set(words))
        total += 1
    limit = max(1.0, max_everyday_share * total)
    general = general or {}
    general_total = sum(general.values()) or 1

    def key(word: str, count: int) -> bool:
        share_in_general = (general.get(word, 0) + 1) / general_total
        return count / max(1, fields) >= min_keyness * share_in_general

    return frozenset(w for w, n in in_kb.items() if n >= min_items and everyday[w] < limit and key(w, n))
