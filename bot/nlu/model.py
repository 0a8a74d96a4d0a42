"""The trained NLU model: what training produces and serving reads.

Training needs scikit-learn and pypinyin (about 150 MB of modules); serving needs neither. So
`zwbot run` trains in a short-lived child process (or reuses the model `zwbot train` saved for the
same training data and knowledge base), and only the learned numbers come back.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import pickle
import random
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot import __version__
from bot.nlu.intent import IntentClassifier
from bot.nlu.pinyin import PinyinTable
from bot.nlu.text import Tokenizer, normalize
from bot.nlu.training_data import TrainingData


@dataclass
class NluModel:
    classifier: IntentClassifier
    pinyin: PinyinTable
    fingerprint: str


def user_words(items: dict[str, dict[str, Any]], department_aliases: dict[str, str]) -> list[str]:
    """Words jieba must keep whole: item names, aliases, keywords and department names."""
    words = [w for r in items.values() for w in [r["name"], *(r.get("aliases") or []), *(r.get("keywords") or [])]]
    return words + list(department_aliases)


def fingerprint(data: TrainingData, words: list[str], pipeline: dict[str, Any]) -> str:
    """Changes whenever anything training depends on changes."""
    digest = hashlib.sha256(__version__.encode())
    digest.update(json.dumps([(e.text, e.intent) for e in data.examples], ensure_ascii=False).encode())
    digest.update(json.dumps(sorted(set(words)), ensure_ascii=False).encode())
    digest.update(json.dumps({k: pipeline.get(k) for k in ("intent_classifier", "item_name_examples")},
                             sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]


def train_model(data: TrainingData, items: dict[str, dict[str, Any]], department_aliases: dict[str, str],
                pipeline: dict[str, Any]) -> NluModel:
    """Train in this process (imports scikit-learn and pypinyin)."""
    words = user_words(items, department_aliases)
    texts = [normalize(e.text) for e in data.examples]
    labels = [e.intent for e in data.examples]
    texts, labels = _with_item_names(texts, labels, items, pipeline.get("item_name_examples", 150))
    settings = pipeline.get("intent_classifier", {})
    classifier = IntentClassifier(tuple(settings.get("char_ngrams", (1, 3))), settings.get("C", 0.5))
    classifier.fit(texts, labels, Tokenizer(words))
    return NluModel(classifier, PinyinTable.build(), fingerprint(data, words, pipeline))


def train_model_in_child(data: TrainingData, items: dict[str, dict[str, Any]], department_aliases: dict[str, str],
                         pipeline: dict[str, Any]) -> NluModel:
    """`train_model` in a fresh child process, so its libraries never load into this one."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(train_model, data, items, department_aliases, pipeline).result()


def load_or_train(models_dir: Path, data: TrainingData, items: dict[str, dict[str, Any]],
                  department_aliases: dict[str, str], pipeline: dict[str, Any]) -> NluModel:
    """The saved model when it was trained on exactly this input, else a new one (saved for next time)."""
    wanted = fingerprint(data, user_words(items, department_aliases), pipeline)
    path = models_dir / f"nlu-{wanted}.pkl"
    if path.exists():
        try:
            model = pickle.loads(path.read_bytes())  # noqa: S301 - our own file in our state directory
            if isinstance(model, NluModel) and model.fingerprint == wanted:
                return model
        except Exception:  # noqa: BLE001 - a damaged or outdated file is simply retrained
            pass
    model = train_model_in_child(data, items, department_aliases, pipeline)
    save(model, models_dir)
    return model


def save(model: NluModel, models_dir: Path) -> Path:
    models_dir.mkdir(parents=True, exist_ok=True)
    path = models_dir / f"nlu-{model.fingerprint}.pkl"
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
    temporary.replace(path)
    return path


def _with_item_names(texts: list[str], labels: list[str], items: dict[str, dict[str, Any]],
                     limit: int) -> tuple[list[str], list[str]]:
    """Teach ask_guide that a bare item name or alias is a guide question (a sample, to keep classes balanced)."""
    if "ask_guide" not in labels or not items or limit <= 0:
        return texts, labels
    names = sorted({normalize(n) for r in items.values() for n in [r["name"], *(r.get("aliases") or [])]})
    sample = random.Random(7).sample(names, min(limit, len(names)))
    return texts + sample, labels + ["ask_guide"] * len(sample)
