"""config.yml as one typed tree, read and checked once at start.

Every setting has its type and its default here, and nowhere else: code reads `config.dialogue.act_margin`,
never `settings.get("act_margin", 0.1)`. An unknown key, a mistyped value or a regular expression that
does not compile stops zwbot at start with the key's path (`ConfigError`), before any citizen is served.
"""

from __future__ import annotations

import re
from datetime import time as clock_time
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.vocabulary import TicketKind

Aspect = Literal["materials", "process", "overview", "time_limit", "fee", "location", "basis", "conditions", "online",
                 "contact"]
LetterType = Literal["enquiry", "complaint", "suggestion", "help"]


class ConfigError(ValueError):
    """config.yml cannot be used; the message names each wrong key by its path."""


class Section(BaseModel):
    """A block of config.yml: frozen, and an unknown key is an error (a typo must not pass silently)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _compiles(patterns: list[str]) -> list[str]:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as error:
            raise ValueError(f"正则表达式 {pattern!r} 无法编译：{error}") from None
    return patterns


class CorpusSample(Section):
    """Rows of each real corpus of ../shared/data (training part) that training samples."""

    everyday: int = Field(2400, ge=0)
    citizen_messages: int = Field(150, ge=0)
    policy_questions: int = Field(300, ge=0)


class IntentClassifierConfig(Section):
    char_ngrams: tuple[int, int] = (1, 3)
    C: float = Field(1.0, gt=0)
    min_df: int = Field(1, ge=1)
    nb_alpha: float = Field(0.0, ge=0)
    balance: float = Field(0.5, ge=0, le=1)
    corpora: CorpusSample = CorpusSample()


class FallbackBar(Section):
    """Rasa FallbackClassifier style bars of one intent (see config.yml `thresholds.fallback`)."""

    threshold: float = Field(0.0, ge=0, le=1)
    ambiguity_threshold: float = Field(0.0, ge=0, le=1)
    without_evidence: float = Field(0.0, ge=0, le=1)


class ThresholdsConfig(Section):
    evidence_item_score: float = 10.0
    fallback: dict[str, FallbackBar] = {"default": FallbackBar()}
    min_item_score: float = 4.0
    # A message read as not business that shows business words, whose best business intent reaches this,
    # is asked about ("您是想：") rather than declined.
    doubtful_scope: float = Field(0.3, ge=0, le=1)
    close_candidates: float = Field(0.85, ge=0, le=1)
    min_candidate_score: float = 4.0
    min_candidate_similarity: float = 0.1
    sure_candidate_score: float = 8.0


class DialogueConfig(Section):
    misses_before_human: int = Field(2, ge=1)
    tracker_idle_minutes: float = Field(120, gt=0)
    default_department: str = "市政务服务中心"
    proxy_material_words: list[str] = ["代办", "委托", "代理", "代为", "受托", "经办人", "监护人"]
    situation_words: list[list[str]] = []
    alternative_ratio: float = Field(0.6, ge=0, le=1)
    act_on_confidence: float = Field(0.5, ge=0, le=1)
    act_margin: float = Field(0.1, ge=0, le=1)
    late_case_cues: list[str] = []


class TicketsConfig(Section):
    due_working_days: dict[TicketKind, int] = {TicketKind.COMPLAINT: 5, TicketKind.SUGGESTION: 10,
                                               TicketKind.RECTIFICATION: 5, TicketKind.CONSULTATION: 1}
    warn_working_days: int = Field(1, ge=0)  # the inbox warns this many working days before a ticket is due

    @field_validator("due_working_days")
    @classmethod
    def _every_kind(cls, days: dict[TicketKind, int]) -> dict[TicketKind, int]:
        missing = set(TicketKind) - set(days)
        if missing:
            raise ValueError(f"缺少工单类型 {'、'.join(sorted(kind.value for kind in missing))} 的办理时限")
        return days


class LimitsConfig(Section):
    """Limits against abuse (docs/security.md explains each)."""

    case_wrong_tries_per_sender: int = Field(5, ge=1)
    case_wrong_tries_per_case: int = Field(10, ge=1)
    case_wrong_tries_per_client: int = Field(30, ge=1)
    tickets_per_sender_per_day: int = Field(10, ge=1)
    tickets_per_client_per_hour: int = Field(30, ge=1)
    login_failures_per_account: int = Field(10, ge=1)
    login_failures_per_address: int = Field(30, ge=1)
    login_window_minutes: float = Field(15, gt=0)
    login_lockout_minutes: float = Field(15, gt=0)
    websockets_per_address: int = Field(20, ge=1)
    websockets_total: int = Field(2000, ge=1)
    header_timeout_seconds: float = Field(10, gt=0)
    body_timeout_seconds: float = Field(30, gt=0)
    busy_after_seconds: float = Field(4, gt=0)
    conversation_lock_seconds: float = Field(10, gt=0)  # lease of a conversation's lock across workers
    health_write_timeout_seconds: float = Field(2, gt=0)


class PrivacyConfig(Section):
    keep_days: int = Field(180, ge=1)


class StaffHoursConfig(Section):
    """When staff answer hand-offs, China time; "00:00"–"24:00" is always. Working days only unless `every_day`."""

    start: str = "09:00"
    end: str = "17:00"
    every_day: bool = False

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if value not in ("24:00", "24:00:00"):
            try:
                clock_time.fromisoformat(value)
            except ValueError:
                raise ValueError(f"时间应写作 HH:MM，实际为 {value!r}") from None
        return value

    def clock(self, which: Literal["start", "end"]) -> clock_time:
        value = getattr(self, which)
        return clock_time.max if value.startswith("24:") else clock_time.fromisoformat(value)


class StaffConsoleConfig(Section):
    session_minutes: float = Field(30, gt=0)


class ItemMatcherConfig(Section):
    matcher_weight: float = 10.0
    matcher_features: int = Field(80, ge=1)
    citizen_boost: float = 1.5
    theme_cues: list[str] = []
    theme_boost: float = 1.6


class CaseNumbersConfig(Section):
    patterns: list[str] = Field([r"[A-Za-z]{2,4}\d{8,24}", r"\d{10,30}"], min_length=1)
    not_patterns: list[str] = [r"1[3-9]\d{9}", r"0\d{2,3}-?\d{7,8}", r"(?:TS|JY|ZG)\d{8}-\d{4}"]
    min_table_length: int = Field(6, ge=1)
    phone_cues: list[str] = ["尾号", "后四位", "后4位", "手机", "电话"]

    _patterns_compile = field_validator("patterns", "not_patterns")(_compiles)


class AspectsConfig(Section):
    """Cue words of each aspect, and the patterns, weak cues and exceptions of bot/nlu/aspects.py."""

    materials: list[str] = []
    process: list[str] = []
    overview: list[str] = []
    time_limit: list[str] = []
    fee: list[str] = []
    location: list[str] = []
    basis: list[str] = []
    conditions: list[str] = []
    online: list[str] = []
    contact: list[str] = []
    patterns: dict[Aspect, list[str]] = {}
    weak: dict[Aspect, list[str]] = {}
    weak_patterns: dict[Aspect, list[str]] = {}
    not_: list[str] = Field([], alias="not")
    proxy: list[str] = []

    @field_validator("patterns", "weak_patterns")
    @classmethod
    def _compile(cls, patterns: dict[str, list[str]]) -> dict[str, list[str]]:
        for listed in patterns.values():
            _compiles(listed)
        return patterns

    def cues(self, aspect: str) -> list[str]:
        return list(getattr(self, aspect))


class MoodWeights(Section):
    base: float = 0.3
    angry: float = 0.45
    negative: float = 0.2
    positive: float = -0.25
    intensity: float = 0.08
    complaint: float = 0.67
    sure_complaint: float = 0.8
    negative_from: float = 0.5
    letter_anger: float = 0.6


class ConversationMoodWeights(Section):
    recent: int = Field(5, ge=1)
    per_miss: float = 0.1
    max_misses: int = Field(3, ge=0)
    per_repeat: float = 0.08
    max_repeats: int = Field(3, ge=0)
    complaining: float = 0.1


class MoodConfig(Section):
    escalate_at: float = Field(0.7, ge=0, le=1)
    weights: MoodWeights = MoodWeights()
    conversation: ConversationMoodWeights = ConversationMoodWeights()
    angry: list[str] = []
    negative: list[str] = []
    positive: list[str] = []
    intensifiers: list[str] = []


class LettersConfig(Section):
    min_chars: int = Field(45, ge=1)
    min_words: int = Field(12, ge=1)
    min_topic_confidence: float = Field(0.5, ge=0, le=1)
    sure_type: float = Field(0.6, ge=0, le=1)
    question_chars: int = Field(80, ge=1)
    type_C: float = Field(2.0, gt=0)
    tone_C: float = Field(0.3, gt=0)
    calm_flag_share: float = Field(0.02, ge=0, le=1)
    government_C: float = Field(1.0, gt=0)
    government_bar: float = Field(0.5, ge=0, le=1)
    topic_alpha: float = Field(2e-5, gt=0)
    cues: dict[LetterType, list[str]] = {}
    topic_departments: dict[str, str] = {}


class Configuration(Section):
    """The whole of config.yml."""

    language: Literal["zh"] = "zh"
    recipe: str = "zwbot"
    intent_classifier: IntentClassifierConfig = IntentClassifierConfig()
    business_words: list[str] = []
    item_name_examples: int = Field(150, ge=0)
    thresholds: ThresholdsConfig = ThresholdsConfig()
    dialogue: DialogueConfig = DialogueConfig()
    tickets: TicketsConfig = TicketsConfig()
    limits: LimitsConfig = LimitsConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    staff_hours: StaffHoursConfig = StaffHoursConfig()
    staff_console: StaffConsoleConfig = StaffConsoleConfig()
    item_matcher: ItemMatcherConfig = ItemMatcherConfig()
    retrieval_stop_phrases: list[str] = []
    case_numbers: CaseNumbersConfig = CaseNumbersConfig()
    aspects: AspectsConfig = AspectsConfig()
    mood: MoodConfig = MoodConfig()
    letters: LettersConfig = LettersConfig()

    def with_changes(self, section: str, **values: Any) -> Configuration:
        """A copy with some keys of one section changed, checked as config.yml would be."""
        current = getattr(self, section)
        changed = {**current.model_dump(by_alias=True), **values} if isinstance(current, BaseModel) else values
        return parse_configuration({**self.model_dump(by_alias=True), section: changed}, f"{section} (changed)")


_KINDS = {"int": "整数", "float": "数字", "bool": "true 或 false", "string": "文字", "list": "列表", "dict": "映射",
          "tuple": "列表", "model": "映射"}
_BOUNDS = {"greater_than_equal": "应不小于 {ge}", "greater_than": "应大于 {gt}", "less_than_equal": "应不大于 {le}",
           "less_than": "应小于 {lt}", "too_short": "至少要有 {min_length} 项"}


def _problem(error: Any) -> str:
    """One validation error in the words of whoever edits config.yml."""
    kind, context = error["type"], error.get("ctx") or {}
    if kind == "extra_forbidden":
        return "没有这个设置项（拼写错误？）"
    if kind == "missing":
        return "缺少此项"
    if kind in _BOUNDS:
        return _BOUNDS[kind].format(**context)
    if kind == "literal_error":
        return f"应为 {str(context.get('expected', '')).replace(' or ', ', ')} 之一，实际为 {error.get('input')!r}"
    if kind == "value_error":
        return str(context.get("error", error["msg"]))
    for prefix, name in _KINDS.items():
        if kind.startswith(prefix + "_") or kind == prefix + "_type":
            return f"应为{name}，实际为 {error.get('input')!r}"
    return str(error["msg"])


def parse_configuration(data: Any, source: str) -> Configuration:
    """`data` (config.yml's content) as a Configuration; ConfigError names every wrong key."""
    try:
        return Configuration.model_validate(data or {})
    except ValidationError as error:
        problems = [f"  {'.'.join(str(part) for part in e['loc']) or '（顶层）'}：{_problem(e)}" for e in error.errors()]
        raise ConfigError(f"{source} 配置有误：\n" + "\n".join(problems)) from None


def read_configuration(path: Path) -> Configuration:
    """config.yml at `path` (missing: every default)."""
    if not path.exists():
        return Configuration()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ConfigError(f"{path} 不是有效的 YAML：{error}") from None
    return parse_configuration(data, str(path))
