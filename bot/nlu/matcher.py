"""The learned item matcher: a nearest-centroid classifier over TF-IDF of character n-grams.

Each item is learned from examples of how it is asked for — its names, aliases, the citizen words
staff recorded (including resolved unanswered questions), sample questions and material names —
and represented by the centroid of their TF-IDF vectors. A question scores each item by cosine
similarity with its centroid: unlike the exact-mention layer it needs no whole name, and unlike
BM25 over names it weighs a situation word (搬家, 卤菜) by how few items it points to.

Built with numpy alone where the item index is built (start-up, and after every knowledge edit),
so a resolved question counts from the next message on. Memory stays bounded at catalogue scale:
every centroid keeps only its `max_features` strongest n-grams, and only those n-grams are kept in
the vocabulary; prediction is one bincount over their posting lists.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

import numpy as np

_RUNS = re.compile(r"[\u4e00-\u9fffa-z0-9]+")


def char_grams(text: str, sizes: tuple[int, ...] = (1, 2, 3)) -> list[str]:
    """Character n-grams of every run of word characters (digits folded: a number says nothing of an item)."""
    grams: list[str] = []
    for run in _RUNS.findall(text):
        run = re.sub(r"[0-9]+", "0", run)
        for size in sizes:
            grams.extend(run[i:i + size] for i in range(len(run) - size + 1))
    return grams


class ItemMatcher:
    """`scores(text)` → cosine similarity of the question with every item, in the items' order."""

    def __init__(self, max_features: int = 80, sizes: tuple[int, ...] = (1, 2, 3),
                 prepare: Callable[[str], str] = lambda t: t) -> None:
        self.max_features = max_features
        self.sizes = sizes
        self.prepare = prepare
        self.size = 0
        self._vocabulary: dict[str, int] = {}
        self._idf = np.zeros(0, dtype=np.float32)
        self._max_idf = 1.0
        self._indptr = np.zeros(1, dtype=np.int64)
        self._items = np.zeros(0, dtype=np.int32)
        self._weights = np.zeros(0, dtype=np.float32)

    def fit(self, examples: Sequence[Sequence[tuple[str, float]]]) -> ItemMatcher:
        """`examples[i]`: (normalised text, weight) pairs that ask for item i.

        Two passes over the examples (n-grams are counted again rather than kept for every item), so
        what training holds at once is the document frequencies and one item's centroid."""
        self.size = len(examples)
        document_frequency: dict[str, int] = {}
        documents = 0
        for item_examples in examples:
            for counts, _ in self._counts(item_examples):
                documents += 1
                for gram in counts:
                    document_frequency[gram] = document_frequency.get(gram, 0) + 1
        idf = {g: math.log((1 + documents) / (1 + df)) + 1.0 for g, df in document_frequency.items()}
        del document_frequency
        kept: dict[str, list[tuple[int, float]]] = {}
        for position, item_examples in enumerate(examples):
            centroid: dict[str, float] = {}
            for counts, weight in self._counts(item_examples):
                values = {g: (math.log(c) + 1.0) * idf[g] for g, c in counts.items()}
                norm = math.sqrt(sum(v * v for v in values.values()))
                for gram, value in values.items():
                    centroid[gram] = centroid.get(gram, 0.0) + weight * value / norm
            strongest = sorted(centroid.items(), key=lambda pair: -pair[1])[:self.max_features]
            norm = math.sqrt(sum(v * v for _, v in strongest)) or 1.0
            for gram, value in strongest:
                kept.setdefault(gram, []).append((position, value / norm))
        self._vocabulary = {gram: index for index, gram in enumerate(kept)}
        self._idf = np.array([idf[g] for g in kept], dtype=np.float32)
        self._max_idf = float(self._idf.max(initial=1.0))
        # One CSR matrix (n-gram → items), not an array per n-gram: a small array costs ~100 bytes of its own.
        self._indptr = np.cumsum([0, *(len(hits) for hits in kept.values())], dtype=np.int64)
        self._items = np.array([p for hits in kept.values() for p, _ in hits], dtype=np.int32)
        self._weights = np.array([v for hits in kept.values() for _, v in hits], dtype=np.float32)
        return self

    def _counts(self, item_examples: Sequence[tuple[str, float]]) -> list[tuple[dict[str, int], float]]:
        """(n-gram counts, weight) of each example that has any n-gram."""
        result = []
        for text, weight in item_examples:
            counts: dict[str, int] = {}
            for gram in char_grams(self.prepare(text), self.sizes):
                counts[gram] = counts.get(gram, 0) + 1
            if counts:
                result.append((counts, weight))
        return result

    @property
    def stored_weights(self) -> int:
        """How many (n-gram, item) weights are kept: at most `max_features` per item."""
        return len(self._weights)

    @property
    def vocabulary_size(self) -> int:
        return len(self._vocabulary)

    def scores(self, text: str) -> np.ndarray:
        """Cosine of normalised `text` with every item's centroid (zeros when nothing is shared)."""
        counts: dict[int, int] = {}
        vocabulary = self._vocabulary
        grams = char_grams(self.prepare(text), self.sizes)
        for gram in grams:
            index = vocabulary.get(gram)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        if not counts:
            return np.zeros(self.size, dtype=np.float32)
        indices = np.fromiter(counts, dtype=np.int64, count=len(counts))
        weights = (np.log(np.fromiter(counts.values(), dtype=np.float32, count=len(counts))) + 1.0) * self._idf[indices]
        # The query's norm counts the n-grams no item knows too, so an unrelated sentence that shares
        # one common character with an item stays far from it.
        unknown = len(set(grams)) - len(counts)
        norm = math.sqrt(float(weights @ weights) + unknown * self._max_idf ** 2)
        # Gather every posting of the query's n-grams at once (CSR rows → one index array).
        starts = self._indptr[indices]
        lengths = self._indptr[indices + 1] - starts
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum()))
        values = self._weights[offsets] * np.repeat(weights / norm, lengths)
        return np.bincount(self._items[offsets], values, minlength=self.size).astype(np.float32)
