"""The item index of a large catalogue, built once in a child process and kept on disk.

Building the index of a provincial catalogue (50,000 items) takes a quarter of a minute and leaves
the builder holding hundreds of megabytes it no longer needs (Python does not give freed memory
back). So above `BUILT_APART_FROM` items the index is built by a short-lived child process, which
writes it to the models folder; every worker (and every restart) then reads the finished index,
which takes a second or two and only the memory the index needs. A file is named by everything the
index depends on (the items, department names, lexicons, settings and the code that builds it), so
a stale one is never read. A small catalogue is indexed in process: that is faster than a child.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import pickle
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from bot import __version__
from bot.configuration import Configuration
from bot.nlu import matcher, pinyin, postings, retrieval, text
from bot.nlu.model import user_words
from bot.nlu.pinyin import PinyinTable
from bot.nlu.retrieval import ItemIndex
from bot.nlu.text import Tokenizer

BUILT_APART_FROM = 5000  # items


def item_index(models_dir: Path | None, items: Mapping[str, dict[str, Any]], department_aliases: dict[str, str],
               tokenizer: Tokenizer, table: PinyinTable, extra_words: dict[str, list[str]],
               config: Configuration) -> ItemIndex:
    """The index of `items`: read from `models_dir` when built before, else built (in a child process
    and saved there when the catalogue is large). `models_dir` None: always built here."""
    if models_dir is None or len(items) < BUILT_APART_FROM:
        return _build(items, department_aliases, tokenizer, table, extra_words, config)
    path = models_dir / f"index-{_fingerprint(items, department_aliases, extra_words, config)}.pkl"
    if not path.exists():
        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
            pool.submit(_build_and_save, path, items, department_aliases, table, extra_words, config).result()
        for old in models_dir.glob("index-*.pkl"):
            if old != path:
                old.unlink(missing_ok=True)  # an index is tens of megabytes; only the current one is read
    index: ItemIndex = pickle.loads(path.read_bytes())  # noqa: S301 - our own file in our state directory
    index.attach(tokenizer, table)
    return index


def _build(items: Mapping[str, dict[str, Any]], department_aliases: dict[str, str], tokenizer: Tokenizer,
           table: PinyinTable, extra_words: dict[str, list[str]], config: Configuration) -> ItemIndex:
    return ItemIndex(items, department_aliases, tokenizer, table, config.retrieval_stop_phrases, extra_words,
                     config.item_matcher, config.thresholds)


def _build_and_save(path: Path, items: Mapping[str, dict[str, Any]], department_aliases: dict[str, str],
                    table: PinyinTable, extra_words: dict[str, list[str]], config: Configuration) -> None:
    """In the child: build with a tokenizer of its own (jieba's does not travel between processes)."""
    tokenizer = Tokenizer(user_words(items, department_aliases))
    index = _build(items, department_aliases, tokenizer, table, extra_words, config)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{multiprocessing.current_process().pid}.tmp")
    temporary.write_bytes(pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL))
    temporary.replace(path)  # whole or not at all: a worker starting meanwhile never reads half a file


def _fingerprint(items: Mapping[str, dict[str, Any]], department_aliases: dict[str, str],
                 extra_words: dict[str, list[str]], config: Configuration) -> str:
    digest = hashlib.sha256(__version__.encode())
    records = getattr(items, "digest", None)  # ItemRecords: a hash of the stored bytes, no parse needed
    digest.update((records() if callable(records) else
                   json.dumps(dict(items), ensure_ascii=False, sort_keys=True)).encode())
    digest.update(json.dumps([sorted(department_aliases.items()), sorted(extra_words.items())],
                             ensure_ascii=False).encode())
    digest.update(json.dumps(config.model_dump(mode="json", include={"retrieval_stop_phrases", "item_matcher",
                                                                     "thresholds"}), sort_keys=True).encode())
    for module in (retrieval, postings, matcher, text, pinyin):  # the code that builds it (and its layout)
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()[:16]
