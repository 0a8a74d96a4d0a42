"""Reading NLU training data in Rasa 3.x YAML (the format of nlu_data/).

Supports what zwbot's data uses: intents with examples (entity annotations `[text](entity)` and
`[text]{"entity": "e", "value": "v"}`), synonyms, regexes and lookup tables.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<entity>[^)]+)\)|(?P<json>\{[^}]*\}))")


class TrainingDataError(ValueError):
    """The file is not valid Rasa NLU YAML; the message says where."""


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: tuple[tuple[str, str, int, int], ...] = ()  # (entity, value, start, end)


@dataclass
class TrainingData:
    examples: list[Example] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)  # surface → canonical value
    regexes: dict[str, list[str]] = field(default_factory=dict)
    lookups: dict[str, list[str]] = field(default_factory=dict)

    @property
    def intents(self) -> list[str]:
        return sorted({e.intent for e in self.examples})

    def merge(self, other: TrainingData) -> None:
        self.examples.extend(other.examples)
        self.synonyms.update(other.synonyms)
        for name, patterns in other.regexes.items():
            self.regexes.setdefault(name, []).extend(patterns)
        for name, values in other.lookups.items():
            self.lookups.setdefault(name, []).extend(values)


def parse_example(line: str, intent: str) -> Example:
    """Strip Rasa entity annotations from one example line, keeping their spans."""
    entities = []
    plain, cursor = [], 0
    offset = 0
    for match in _ANNOTATION.finditer(line):
        plain.append(line[cursor:match.start()])
        offset += match.start() - cursor
        surface = match.group("text")
        if match.group("json"):
            try:
                spec = json.loads(match.group("json"))
            except json.JSONDecodeError:
                spec = {}
            entity, value = spec.get("entity", ""), spec.get("value", surface)
        else:
            entity, _, value = match.group("entity").partition(":")
            value = value or surface
        if entity:
            entities.append((entity, value, offset, offset + len(surface)))
        plain.append(surface)
        offset += len(surface)
        cursor = match.end()
    plain.append(line[cursor:])
    return Example("".join(plain).strip(), intent, tuple(entities))


def _block_lines(block: object, where: str) -> list[str]:
    if not isinstance(block, str):
        raise TrainingDataError(f"{where}: examples 应为以 '- ' 开头的多行文本")
    lines = []
    for raw in block.splitlines():
        stripped = raw.strip()
        if not stripped:
            continue
        if not stripped.startswith("- "):
            raise TrainingDataError(f"{where}: 每条样例应以 '- ' 开头：{stripped[:30]!r}")
        lines.append(stripped[2:].strip())
    return lines


def read_file(path: Path) -> TrainingData:
    """Read one Rasa NLU YAML file."""
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise TrainingDataError(f"{path}: YAML 格式错误：{error}") from error
    except (OSError, UnicodeDecodeError) as error:
        raise TrainingDataError(f"{path}: 无法读取：{error}") from error
    data = TrainingData()
    if not isinstance(document, dict):
        return data
    entries = document.get("nlu") or []
    if not isinstance(entries, list):
        raise TrainingDataError(f"{path}: 'nlu' 应为列表")
    for index, entry in enumerate(entries, 1):
        where = f"{path} nlu[{index}]"
        if not isinstance(entry, dict):
            raise TrainingDataError(f"{where}: 应为映射")
        if "intent" in entry:
            intent = str(entry["intent"])
            data.examples.extend(parse_example(line, intent) for line in _block_lines(entry.get("examples"), where))
        elif "synonym" in entry:
            canonical = str(entry["synonym"])
            for surface in _block_lines(entry.get("examples"), where):
                data.synonyms[surface] = canonical
        elif "regex" in entry:
            data.regexes.setdefault(str(entry["regex"]), []).extend(_block_lines(entry.get("examples"), where))
        elif "lookup" in entry:
            data.lookups.setdefault(str(entry["lookup"]), []).extend(_block_lines(entry.get("examples"), where))
    for example in data.examples:
        for _, value, start, end in example.entities:
            surface = example.text[start:end]
            if value != surface:
                data.synonyms.setdefault(surface, value)
    return data


def read_path(path: Path) -> TrainingData:
    """Read a file, or every .yml/.yaml file of a folder."""
    path = Path(path)
    if path.is_file():
        return read_file(path)
    if not path.is_dir():
        raise TrainingDataError(f"{path}: 找不到训练数据")
    data = TrainingData()
    for file in sorted([*path.glob("**/*.yml"), *path.glob("**/*.yaml")]):
        data.merge(read_file(file))
    return data
