"""Every item's guide, held as UTF-8 JSON: a provincial catalogue (50,000 items) costs about fifty
megabytes in a worker instead of the 350 its parsed records would (a parsed record is mostly
Python object overhead). orjson reads the whole catalogue in a tenth of a second.

`ItemRecords` is a read-only mapping item id → record. A record is parsed when it is read and the
most recently read ones are kept decoded, so answering, which reads a handful of items per
question, decodes each of them once. A record read from here may be handed to the next reader as
well: it is read-only, as the whole snapshot is.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any

import orjson

DECODED_KEPT = 512


class ItemRecords(Mapping[str, dict[str, Any]]):
    """Item id → record, stored as JSON bytes."""

    def __init__(self, encoded: dict[str, bytes]) -> None:
        self._encoded = encoded
        self._decoded: OrderedDict[str, dict[str, Any]] = OrderedDict()

    @staticmethod
    def encoded(text: str) -> bytes:
        """A record's JSON text as the database hands it out, as kept here: written again as UTF-8
        (the database's may spell each Chinese character as a six-byte escape)."""
        # json, not orjson: orjson.dumps's bytes keep the whole of its output buffer (eight times the size).
        return json.dumps(orjson.loads(text), ensure_ascii=False).encode()

    @classmethod
    def from_records(cls, records: Mapping[str, dict[str, Any]]) -> ItemRecords:
        return cls({item_id: json.dumps(record, ensure_ascii=False).encode() for item_id, record in records.items()})

    def __getitem__(self, item_id: str) -> dict[str, Any]:
        record = self._decoded.get(item_id)
        if record is None:
            record = orjson.loads(self._encoded[item_id])
            self._decoded[item_id] = record
            if len(self._decoded) > DECODED_KEPT:
                self._decoded.popitem(last=False)
        else:
            self._decoded.move_to_end(item_id)
        return record

    def __iter__(self) -> Iterator[str]:
        return iter(self._encoded)

    def __len__(self) -> int:
        return len(self._encoded)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._encoded

    def digest(self) -> str:
        """Changes whenever any record changes (or one is added or removed)."""
        digest = hashlib.sha256()
        for item_id, data in self._encoded.items():
            digest.update(item_id.encode() + b"\0" + hashlib.sha256(data).digest())
        return digest.hexdigest()

    def __getstate__(self) -> dict[str, Any]:
        return {"_encoded": self._encoded}  # the decoded ones are rebuilt where they are read

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._encoded = state["_encoded"]
        self._decoded = OrderedDict()
