"""The public corpora of real text (../shared/data), split once into a training part and a held-out part.

The corpora are for developing and measuring zwbot, not for shipping: they are read where they lie
(`ZWBOT_CORPORA_DIR`, default the `shared/data` folder beside the checkout) and never copied into
the repository. Every row falls on one side of the split by a hash of its key, so the split is the
same on every machine and for every caller: training reads only `part="train"`, every figure we
report is measured on `part="held_out"`, and nothing is ever tuned on the held-out part.

The raw and the segmented copies of the TipDM citizen messages share ids (`matches_raw_id`), and a
segmented row is split by the raw id it matches, so one letter never sits on both sides.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

Part = Literal["train", "held_out", "all"]

HELD_OUT_SHARE = 30  # percent of each corpus kept aside for measurement

NONGOV = "nongov_utterances.jsonl"
CITIZEN_MESSAGES = "citizen_messages_tipdm2020.jsonl"
CITIZEN_MESSAGES_SEGMENTED = "citizen_messages_tipdm2020_segmented.jsonl"
GOV_REPLIES = "gov_replies_tipdm2020.jsonl"
POLICY_QA = "covid_policy_qa.jsonl"
GUANGDONG_ITEMS = "gd_service_items.dev.jsonl"


def corpora_dir() -> Path:
    """Where the corpora are: $ZWBOT_CORPORA_DIR, else ../shared/data beside the checkout."""
    configured = os.environ.get("ZWBOT_CORPORA_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "shared" / "data"


def available(name: str = NONGOV) -> bool:
    return (corpora_dir() / name).is_file()


def split_key(row: dict[str, Any]) -> str:
    """What decides a row's side of the split (a letter's id; else its text)."""
    for field in ("matches_raw_id", "id", "TASK_CODE"):
        value = row.get(field)
        if value:
            return str(value)
    return str(row.get("text") or row.get("matter_name") or "")


def is_held_out(row: dict[str, Any]) -> bool:
    digest = hashlib.sha1(split_key(row).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % 100 < HELD_OUT_SHARE


@lru_cache(maxsize=8)
def _read(path: Path) -> tuple[dict[str, Any], ...]:
    with path.open(encoding="utf-8") as lines:
        return tuple(json.loads(line) for line in lines if line.strip())


def rows(name: str, part: Part = "train") -> Iterator[dict[str, Any]]:
    """The rows of corpus `name` on one side of the split (nothing when the corpus is absent)."""
    path = corpora_dir() / name
    if not path.is_file():
        return
    for row in _read(path):
        if part == "all" or is_held_out(row) == (part == "held_out"):
            yield row
