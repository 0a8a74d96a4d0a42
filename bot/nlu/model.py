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
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot import __version__
from bot.configuration import Configuration
from bot.nlu import corpora
from bot.nlu.intent import IntentClassifier, derive_business_words
from bot.nlu.letters import LetterModel, inputs_digest as letter_inputs, train_letter_model
from bot.nlu.pinyin import PinyinTable
from bot.nlu.text import Tokenizer, normalize
from bot.nlu.training_data import TrainingData


@dataclass
class NluModel:
    classifier: IntentClassifier
    pinyin: PinyinTable
    fingerprint: str
    business_words: frozenset[str] = field(default_factory=frozenset)  # evidence of the centre's business
    letters: LetterModel | None = None  # type and topic of long letters (bot/nlu/letters.py)


def user_words(items: Mapping[str, dict[str, Any]], department_aliases: dict[str, str]) -> list[str]:
    """Words jieba must keep whole: item names, aliases, keywords and department names."""
    words = [w for r in items.values() for w in [r["name"], *(r.get("aliases") or []), *(r.get("keywords") or [])]]
    return words + list(department_aliases)


def fingerprint(data: TrainingData, words: list[str], config: Configuration,
                items: Mapping[str, dict[str, Any]] | None = None) -> str:
    """Changes whenever anything training depends on changes (the corpora read included)."""
    digest = hashlib.sha256(__version__.encode())
    digest.update(json.dumps([(e.text, e.intent) for e in data.examples], ensure_ascii=False).encode())
    digest.update(json.dumps(sorted(set(words)), ensure_ascii=False).encode())
    digest.update(json.dumps(config.model_dump(mode="json", include={"intent_classifier", "item_name_examples",
                                                                     "business_words"}),
                             sort_keys=True).encode())
    if items is not None:
        digest.update(json.dumps(_kb_fields(items), ensure_ascii=False).encode())
    for path in _corpus_files(config):
        digest.update(path.name.encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    digest.update(letter_inputs(config))
    return digest.hexdigest()[:16]


def _corpus_settings(config: Configuration) -> dict[str, int]:
    """How many rows of each real corpus's training part training takes (config.yml intent_classifier.corpora)."""
    return {name: rows for name, rows in config.intent_classifier.corpora.model_dump().items() if rows}


_CORPUS_OF = {"everyday": corpora.NONGOV, "citizen_messages": corpora.CITIZEN_MESSAGES,
              "policy_questions": corpora.POLICY_QA}


def _corpus_files(config: Configuration) -> list[Path]:
    wanted = _corpus_settings(config)
    files = [corpora.corpora_dir() / _CORPUS_OF[k] for k in wanted if k in _CORPUS_OF]
    return [f for f in files if f.is_file()]


def corpus_examples(config: Configuration) -> tuple[list[str], list[str]]:
    """Real training examples from the training part of the shared corpora (none when they are absent):
    everyday requests as out_of_scope, citizen letters and policy questions as
    ask_guide — each a fixed-seed sample of the size config.yml asks for, to keep classes balanced."""
    texts: list[str] = []
    labels: list[str] = []
    wanted = _corpus_settings(config)
    sample = random.Random(11)

    def take(rows: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
        return sample.sample(rows, min(limit, len(rows)))

    if wanted.get("everyday"):
        for row in take(list(corpora.rows(corpora.NONGOV, "train")), wanted["everyday"]):
            texts.append(normalize(row["text"]))
            labels.append("out_of_scope")
    if wanted.get("citizen_messages"):
        # The letter model decides a long message's type after the intent (interpreter.py): a letter only
        # teaches that such text is the centre's business. As ask_guide, because for a short message that
        # resembles a letter "nothing found, here is what I can do" is a safer misreading than a complaint
        # form (and letters taught as complaints pull colloquial guide questions to complain).
        for row in take(list(corpora.rows(corpora.CITIZEN_MESSAGES, "train")), wanted["citizen_messages"]):
            texts.append(normalize(row["text"])[:MAX_TRAINING_CHARS])
            labels.append("ask_guide")
    if wanted.get("policy_questions"):
        for row in take(list(corpora.rows(corpora.POLICY_QA, "train")), wanted["policy_questions"]):
            texts.append(normalize(row["text"]))
            labels.append("ask_guide")
    return texts, labels


MAX_TRAINING_CHARS = 200  # a letter teaches by its title and opening; the rest is detail


def _kb_fields(items: Mapping[str, dict[str, Any]]) -> list[str]:
    """The knowledge-base text business words are drawn from: names, aliases, keywords, materials, conditions."""
    fields: list[str] = []
    for record in items.values():
        fields += [record.get("name") or "", *(record.get("aliases") or []), *(record.get("keywords") or [])]
        fields += [m.get("name", "") if isinstance(m, dict) else str(m) for m in record.get("materials") or []]
        fields += [str(record.get("conditions") or ""), str(record.get("summary") or "")]
    return fields


def general_word_frequencies() -> dict[str, int]:
    """How often each word occurs in general Chinese text (jieba's dictionary)."""
    import jieba

    frequencies: dict[str, int] = {}
    source = Path(jieba.__file__).resolve().parent / "dict.txt"
    for line in source.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].isdigit():
            frequencies[parts[0]] = int(parts[1])
    return frequencies


def business_words(items: Mapping[str, dict[str, Any]], tokenizer: Tokenizer, everyday: list[str],
                   config: Configuration) -> frozenset[str]:
    """config.yml's `business_words` plus the words the knowledge base uses and everyday requests do not."""
    derived = derive_business_words((tokenizer.words(normalize(f)) for f in _kb_fields(items)),
                                    (tokenizer.words(t) for t in everyday), general_word_frequencies())
    return derived | frozenset(normalize(w) for w in config.business_words)


def train_model(data: TrainingData, items: Mapping[str, dict[str, Any]], department_aliases: dict[str, str],
                config: Configuration) -> NluModel:
    """Train in this process (imports scikit-learn and pypinyin)."""
    words = user_words(items, department_aliases)
    texts, labels = training_examples(data, items, config)
    tokenizer = Tokenizer(words)
    classifier = classifier_from(config).fit(texts, labels, tokenizer)
    everyday = [t for t, label in zip(texts, labels) if label in EVERYDAY_INTENTS]
    return NluModel(classifier, PinyinTable.build(), fingerprint(data, words, config, items),
                    business_words(items, tokenizer, everyday, config), train_letter_model(config, tokenizer))


EVERYDAY_INTENTS = frozenset({"out_of_scope", "chitchat"})


def classifier_from(config: Configuration) -> IntentClassifier:
    """An untrained classifier with config.yml's `intent_classifier` settings."""
    settings = config.intent_classifier
    return IntentClassifier(settings.char_ngrams, settings.C, settings.balance, settings.min_df, settings.nb_alpha)


def training_examples(data: TrainingData, items: Mapping[str, dict[str, Any]],
                      config: Configuration) -> tuple[list[str], list[str]]:
    """Normalised texts and intents training uses: nlu_data, item names, and the corpora's training part."""
    texts = [normalize(e.text) for e in data.examples]
    labels = [e.intent for e in data.examples]
    texts, labels = _with_item_names(texts, labels, items, config.item_name_examples)
    real_texts, real_labels = corpus_examples(config)
    return texts + real_texts, labels + real_labels


def train_model_in_child(data: TrainingData, items: Mapping[str, dict[str, Any]], department_aliases: dict[str, str],
                         config: Configuration) -> NluModel:
    """`train_model` in a fresh child process, so its libraries never load into this one."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(train_model, data, items, department_aliases, config).result()


def load_or_train(models_dir: Path, data: TrainingData, items: Mapping[str, dict[str, Any]],
                  department_aliases: dict[str, str], config: Configuration) -> NluModel:
    """The saved model when it was trained on exactly this input, else a new one (saved for next time)."""
    wanted = fingerprint(data, user_words(items, department_aliases), config, items)
    path = models_dir / f"nlu-{wanted}.pkl"
    if path.exists():
        try:
            model = pickle.loads(path.read_bytes())  # noqa: S301 - our own file in our state directory
            if isinstance(model, NluModel) and model.fingerprint == wanted:
                return model
        except Exception:  # noqa: BLE001 - a damaged or outdated file is simply retrained
            pass
    model = train_model_in_child(data, items, department_aliases, config)
    save(model, models_dir)
    return model


def save(model: NluModel, models_dir: Path) -> Path:
    models_dir.mkdir(parents=True, exist_ok=True)
    path = models_dir / f"nlu-{model.fingerprint}.pkl"
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
    temporary.replace(path)
    return path


def _with_item_names(texts: list[str], labels: list[str], items: Mapping[str, dict[str, Any]],
                     limit: int) -> tuple[list[str], list[str]]:
    """Teach ask_guide that a bare item name or alias is a guide question (a sample, to keep classes balanced)."""
    if "ask_guide" not in labels or not items or limit <= 0:
        return texts, labels
    names = sorted({normalize(n) for r in items.values() for n in [r["name"], *(r.get("aliases") or [])]})
    sample = random.Random(7).sample(names, min(limit, len(names)))
    return texts + sample, labels + ["ask_guide"] * len(sample)
