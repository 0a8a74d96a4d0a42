"""Posting lists (a word → the items it points to, with a weight each) in one compressed sparse
row structure: three flat arrays and a dict of row numbers, instead of a list or a pair of small
arrays per word, whose per-object overhead would dominate at 50,000 items."""

from __future__ import annotations

import numpy as np


class PostingLists:
    """`get(key)` → (item positions int32, weights float32), views into the shared arrays."""

    def __init__(self, keys: list[str], positions: list[np.ndarray], weights: list[np.ndarray]) -> None:
        self._rows = {key: row for row, key in enumerate(keys)}
        self._pointers = np.concatenate([[0], np.cumsum([len(p) for p in positions], dtype=np.int64)])
        self._positions = np.concatenate(positions).astype(np.int32) if positions else np.zeros(0, np.int32)
        self._weights = np.concatenate(weights).astype(np.float32) if weights else np.zeros(0, np.float32)

    @classmethod
    def from_pairs(cls, lists: dict[str, list[tuple[int, float]]]) -> PostingLists:
        """From key → [(position, weight), …]."""
        return cls(list(lists), [np.array([p for p, _ in hits], dtype=np.int32) for hits in lists.values()],
                   [np.array([w for _, w in hits], dtype=np.float32) for hits in lists.values()])

    @classmethod
    def from_arrays(cls, lists: dict[str, list[tuple[np.ndarray, np.ndarray]]]) -> PostingLists:
        """From key → [(positions, weights), …]: the parts of one key are joined."""
        return cls(list(lists), [np.concatenate([p for p, _ in parts]) for parts in lists.values()],
                   [np.concatenate([w for _, w in parts]) for parts in lists.values()])

    def __contains__(self, key: str) -> bool:
        return key in self._rows

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, key: str) -> tuple[np.ndarray, np.ndarray] | None:
        row = self._rows.get(key)
        if row is None:
            return None
        start, end = self._pointers[row], self._pointers[row + 1]
        return self._positions[start:end], self._weights[start:end]
