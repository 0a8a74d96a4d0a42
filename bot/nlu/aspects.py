"""The aspect of a guide question (材料, 时限, 收费 …) from cue words and cue patterns in config.yml `aspects`.

Citizens ask in everyday words ("得带些啥东西", "收不收钱", "我替我爹去办行不行"), so besides plain cue
words an aspect may have cue patterns with gaps (`patterns`, regular expressions such as
"带.{0,3}啥"). `weak` cues and `weak_patterns` count only when no other cue names an aspect: they
are the yes/no forms of a question about the applicant or the situation ("外地户口能办不", "还用办
许可吗", "够不够", "需不需要"), which asks for the conditions, while "网上能办吗" asks about online
service. `not` lists phrases whose words are no cue because they tell the situation ("网上看到…",
"网上卖", "缴费不够十五年", "房子地址"). `proxy` cues ask whether
someone else may apply for the applicant: such a question asks for the conditions, and the answer
adds what a proxy brings.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from bot.configuration import Aspect, AspectsConfig
from bot.nlu.text import normalize

ASPECTS = ("materials", "process", "time_limit", "fee", "location", "basis", "conditions", "online", "contact")
# "咋办/怎么弄" asks how to get it done: a clause asking that is answered by the overview unless it
# names an aspect itself ("网上咋办"), however much the story before it names ("满六十了 退休咋办理").
OVERVIEW = "overview"
_CUED = (*ASPECTS, OVERVIEW)
_NOTHING = re.compile(r"(?!x)x")
# Citizens on WeChat part clauses with spaces as often as with commas ("老人证 要带啥").
# What may surround the cue of a bare aspect question ("那要多少钱啊？", "收费吗").
_FILLER = re.compile(r"[那这个它该还再又就都也要需得请问一下大概大约我们想问能可以是有的了什么啥吗呢啊呀吧嘛哈哦噢呃嗯\s，,。.？?！!~～…]+")
_CLAUSE_END = re.compile(r"[，,。！!？?；;\s]+")


class _Cues:
    """The cue words and cue patterns of one tier, each scanned once for every aspect together."""

    def __init__(self, words: Mapping[str, Iterable[str]], patterns: Mapping[str, Iterable[str]]) -> None:
        self.aspect_of = {normalize(w): aspect for aspect, listed in words.items() for w in listed or () if w}
        ordered = sorted(self.aspect_of, key=len, reverse=True)  # the longest word at a position wins
        self.words = re.compile("|".join(map(re.escape, ordered))) if ordered else _NOTHING
        named = [(f"{aspect}_{n}", p) for aspect, listed in patterns.items() for n, p in enumerate(listed or ()) if p]
        self.group_aspect = {name: name.rsplit("_", 1)[0] for name, _ in named}
        self.patterns = re.compile("|".join(f"(?P<{name}>{p})" for name, p in named)) if named else _NOTHING

    def matches(self, text: str) -> Iterator[tuple[str, int, int]]:
        """(aspect, start, end) of every cue found; words and patterns are scanned apart so a cue
        word does not hide a pattern that overlaps it ("要带" in "需要带哪些")."""
        for match in self.words.finditer(text):
            yield self.aspect_of[match.group()], match.start(), match.end()
        for match in self.patterns.finditer(text):
            yield self.group_aspect[match.lastgroup or ""], match.start(), match.end()


def _words(words: Iterable[str]) -> re.Pattern[str]:
    ordered = sorted({normalize(w) for w in words if w}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, ordered))) if ordered else _NOTHING


@dataclass(frozen=True)
class AspectQuestion:
    aspect: str | None  # None: no single aspect (an overview)
    proxy: bool = False  # asks whether someone other than the applicant may apply


def _by_name(lists: Mapping[Aspect, list[str]]) -> dict[str, list[str]]:
    return {str(aspect): words for aspect, words in lists.items()}


class AspectDetector:
    """Which part of a guide a question asks for."""

    def __init__(self, config: AspectsConfig) -> None:
        self._strong = _Cues({aspect: config.cues(aspect) for aspect in _CUED}, _by_name(config.patterns))
        self._weak = _Cues(_by_name(config.weak), _by_name(config.weak_patterns))
        self._not = _words(config.not_)
        self._proxy = _words(config.proxy)

    def read(self, text: str) -> AspectQuestion:
        """The aspect of normalised `text`: its strong cue in the last clause that has one (a citizen
        tells the story first and asks last: "上周去窗口问过，多久能办好"), the longest there, the later
        of equally long ones; None when that clause only asks how to get it done ("咋办"); else
        conditions when it asks about a proxy; else the weak cue chosen the same way; else None."""
        blocked = [m.span() for m in self._not.finditer(text)]
        clause_ends = [m.start() for m in _CLAUSE_END.finditer(text)]
        proxy = any(not _inside(m.span(), blocked) for m in self._proxy.finditer(text))
        best = self._best(self._strong, text, blocked, clause_ends)
        if best == OVERVIEW:
            return AspectQuestion(None, proxy)
        if best is None and proxy:
            return AspectQuestion("conditions", True)
        if best is None:
            best = self._best(self._weak, text, blocked, clause_ends)
        return AspectQuestion(best, proxy)

    def bare(self, text: str) -> AspectQuestion | None:
        """The question when it asks nothing but an aspect ("要多少钱", "那要多久？", "别人能代办吗"), else None
        ("附近哪里有好吃的" asks more). Such a question is about whatever was just discussed."""
        question = self.read(text)
        if question.aspect is None:
            return None
        rest = text
        for cues in (self._strong, self._weak):
            rest = cues.patterns.sub("", cues.words.sub("", rest))
        rest = _FILLER.sub("", self._proxy.sub("", rest))
        return question if not rest else None

    def detect(self, text: str) -> str | None:
        """Only the aspect of `read`."""
        return self.read(text).aspect

    @staticmethod
    def _best(cues: _Cues, text: str, blocked: list[tuple[int, int]], clause_ends: list[int]) -> str | None:
        best: tuple[int, int, int] | None = None
        found = None
        for aspect, start, end in cues.matches(text):
            if end > start and not _inside((start, end), blocked):
                # An overview cue yields to any aspect named in its own clause.
                key = (bisect_right(clause_ends, start), 0 if aspect == OVERVIEW else end - start, start)
                if best is None or key > best:
                    best, found = key, aspect
        return found


def _inside(span: tuple[int, int], blocked: list[tuple[int, int]]) -> bool:
    """Does a `not` phrase cover the first or the last character of the cue at `span`? A long pattern
    cue ("用自己住的房子地址能注册公司不") is its modal verb and its question particle: a `not` phrase in
    between ("房子地址") is the situation, not the question."""
    first, last = span[0], span[1] - 1
    return any(start <= first < end or start <= last < end for start, end in blocked)
