"""Text normalisation and tokenisation shared by every NLU component (pinyin lives in pinyin.py).

Citizens type full-width letters, Traditional characters, stray control characters and emoji;
`normalize` folds all of that so the models see one spelling. Tokenisation uses one jieba
tokenizer per process, fed with the knowledge base's names so item names stay whole words.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import jieba
import opencc

jieba.setLogLevel(logging.WARNING)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_SPACES = re.compile(r"\s+")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_WORDISH = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_t2s = opencc.OpenCC("t2s")


def clean(text: str) -> str:
    """What the citizen wrote, minus control characters and surrounding blanks (kept for display)."""
    return _SPACES.sub(" ", _CONTROL.sub("", text)).strip()


def normalize(text: str) -> str:
    """Canonical form for matching: NFKC (full-width → half-width), Simplified, lower-case, single spaces."""
    text = unicodedata.normalize("NFKC", clean(text))
    return _t2s.convert(text).lower()


def has_content(text: str) -> bool:
    """True when the text holds at least one Chinese character, letter or digit (not only emoji/punctuation)."""
    return bool(_WORDISH.search(text))


def strip_brackets(name: str) -> str:
    """'企业设立登记（营业执照核发）' → '企业设立登记'."""
    return re.sub(r"[（(][^）)]*[）)]", "", name).strip()


def bracket_parts(name: str) -> list[str]:
    """'企业设立登记（营业执照核发）' → ['营业执照核发']."""
    return [p.strip() for p in re.findall(r"[（(]([^）)]*)[）)]", name) if p.strip()]


def han_chars(text: str) -> str:
    return "".join(_HAN.findall(text))


MIN_WORD_FREQUENCY = 5  # jieba's rarest words cost 35 MB of memory and no measurable accuracy


def _dictionary(min_frequency: int) -> str:
    """jieba's dictionary without its rarest words (written once to the temp folder, then reused)."""
    source = Path(jieba.__file__).resolve().parent / "dict.txt"
    target = Path(tempfile.gettempdir()) / f"zwbot-jieba-{jieba.__version__}-{min_frequency}.txt"
    if not target.exists():
        kept = [line for line in source.read_text(encoding="utf-8").splitlines()
                if len(line.split()) >= 2 and int(line.split()[1]) >= min_frequency]
        temporary = target.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text("\n".join(kept) + "\n", encoding="utf-8")
        temporary.replace(target)
    return str(target)


class Tokenizer:
    """A jieba tokenizer that knows the knowledge base's vocabulary."""

    def __init__(self, user_words: Iterable[str] = ()) -> None:
        self._jieba = jieba.Tokenizer(_dictionary(MIN_WORD_FREQUENCY))
        self._jieba.initialize()
        for word in user_words:
            word = word.strip()
            if 1 < len(word) <= 20 and " " not in word:
                self._jieba.add_word(word, freq=50000)

    def words(self, text: str) -> list[str]:
        """jieba words of normalised text, without blanks and punctuation."""
        return [w for w in self._jieba.lcut(text, HMM=False) if _WORDISH.search(w)]


def char_ngrams(text: str, sizes: Iterable[int] = (2,)) -> list[str]:
    """Character n-grams over runs of word characters (punctuation and blanks break runs)."""
    grams: list[str] = []
    for run in re.findall(r"[\u4e00-\u9fffa-z0-9]+", text):
        for size in sizes:
            if len(run) < size:
                if size == min(sizes):
                    grams.append(run)
                continue
            grams.extend(run[i:i + size] for i in range(len(run) - size + 1))
    return grams
