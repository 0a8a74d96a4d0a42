"""Intent classification: a linear SVM over TF-IDF of character n-grams and jieba words,
with sigmoid-calibrated confidences.

scikit-learn does the training; prediction uses the learned weights directly (vocabulary lookup,
TF-IDF, one small matrix product) because going through the estimator API costs more per message
than the arithmetic itself. `test_intent.py` checks both give the same probabilities.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from bot.nlu.text import Tokenizer


_DIGITS = re.compile(r"\d+")


class IntentClassifier:
    """Trained with `fit`; `predict` returns every intent with its confidence, best first."""

    def __init__(self, char_ngrams: tuple[int, int] = (1, 3), regularization: float = 0.5) -> None:
        self.char_ngrams = char_ngrams
        self.regularization = regularization
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
        """Train on normalised texts (imports scikit-learn; prediction does not need it)."""
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        vectorizer = TfidfVectorizer(analyzer=lambda t: self.features(t, tokenizer.words(t)), sublinear_tf=True,
                                     dtype=np.float32)
        matrix = vectorizer.fit_transform(texts)
        self._vocabulary = {token: int(index) for token, index in vectorizer.vocabulary_.items()}
        self._idf = vectorizer.idf_.astype(np.float32)
        smallest_class = min(Counter(labels).values())
        svm = LinearSVC(C=self.regularization, class_weight="balanced")
        if smallest_class >= 2 and len(set(labels)) > 1:
            model = CalibratedClassifierCV(svm, method="sigmoid", cv=min(3, smallest_class), ensemble=False)
            model.fit(matrix, labels)
            fitted = model.calibrated_classifiers_[0]
            estimator = fitted.estimator
            self._sigmoid_a = np.array([c.a_ for c in fitted.calibrators], dtype=np.float32)
            self._sigmoid_b = np.array([c.b_ for c in fitted.calibrators], dtype=np.float32)
            self._calibrated = True
            self.intents = [str(c) for c in model.classes_]
        else:
            estimator = svm.fit(matrix, labels)
            self._calibrated = False
            self.intents = [str(c) for c in estimator.classes_]
        coef = estimator.coef_.toarray() if hasattr(estimator.coef_, "toarray") else estimator.coef_
        self._weights = np.ascontiguousarray(coef.T, dtype=np.float32)
        self._bias = np.asarray(estimator.intercept_, dtype=np.float32)
        self._sklearn_check = (vectorizer, model if self._calibrated else estimator)
        return self

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
        if len(self.intents) == 2:
            scores = np.array([-scores[0], scores[0]]) if scores.size == 1 else scores
        if self._calibrated:
            if len(self.intents) == 2:
                positive = 1.0 / (1.0 + np.exp(self._sigmoid_a[0] * scores[1] + self._sigmoid_b[0]))
                probabilities = np.array([1.0 - positive, positive])
            else:
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
