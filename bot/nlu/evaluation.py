"""`zwbot test nlu` and `zwbot train`: intent accuracy, macro-F1, per-intent report, confusions."""

from __future__ import annotations

import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from bot.nlu.intent import IntentClassifier
from bot.nlu.text import Tokenizer, normalize
from bot.nlu.training_data import Example, TrainingDataError, read_path


def _classifier(pipeline: dict[str, Any]) -> IntentClassifier:
    settings = pipeline.get("intent_classifier", {})
    return IntentClassifier(tuple(settings.get("char_ngrams", (1, 3))), settings.get("C", 0.5))


def _score(train: list[Example], test: list[Example], pipeline: dict[str, Any],
           tokenizer: Tokenizer) -> tuple[list[str], list[str], float]:
    if not train or not test:
        raise TrainingDataError("训练集和测试集都不能为空")
    started = time.perf_counter()
    classifier = _classifier(pipeline).fit([normalize(e.text) for e in train], [e.intent for e in train], tokenizer)
    seconds = time.perf_counter() - started
    predicted = [classifier.predict(text, tokenizer.words(text))[0][0] for text in (normalize(e.text) for e in test)]
    return [e.intent for e in test], predicted, seconds


def report(truth: list[str], predicted: list[str], train_seconds: float, **extra: Any) -> dict[str, Any]:
    labels = sorted(set(truth) | set(predicted))
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=labels,
                                                                     zero_division=0)
    confusions = Counter((t, p) for t, p in zip(truth, predicted) if t != p)
    return {
        "accuracy": round(float(accuracy_score(truth, predicted)), 4),
        "macro_f1": round(float(f1_score(truth, predicted, labels=sorted(set(truth)), average="macro",
                                         zero_division=0)), 4),
        "train_seconds": round(train_seconds, 3),
        "examples": len(truth),
        "per_intent": {label: {"precision": round(float(p), 4), "recall": round(float(r), 4),
                               "f1": round(float(f), 4), "support": int(s)}
                       for label, p, r, f, s in zip(labels, precision, recall, f1, support)},
        "confusions": [{"intent": t, "predicted": p, "count": n} for (t, p), n in confusions.most_common(20)],
        **extra,
    }


def evaluate_files(train_file: Path, test_file: Path, pipeline: dict[str, Any]) -> dict[str, Any]:
    train, test = read_path(train_file).examples, read_path(test_file).examples
    truth, predicted, seconds = _score(train, test, pipeline, Tokenizer())
    return report(truth, predicted, seconds, train_examples=len(train))


def cross_validate(folder: Path, folds: int, pipeline: dict[str, Any]) -> dict[str, Any]:
    if folds < 2:
        raise TrainingDataError("--cross-validation 至少为 2")
    examples = read_path(folder).examples
    random.Random(42).shuffle(examples)
    tokenizer = Tokenizer()
    truth: list[str] = []
    predicted: list[str] = []
    seconds = 0.0
    for fold in range(folds):
        test = examples[fold::folds]
        train = [e for n, e in enumerate(examples) if n % folds != fold]
        t, p, s = _score(train, test, pipeline, tokenizer)
        truth += t
        predicted += p
        seconds += s
    return report(truth, predicted, seconds / folds, folds=folds)


def format_report(result: dict[str, Any]) -> str:
    lines = [f"accuracy  {result['accuracy']:.4f}", f"macro-F1  {result['macro_f1']:.4f}",
             f"训练用时  {result['train_seconds']:.2f} 秒", "",
             f"{'intent':<24}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}"]
    for label, row in result["per_intent"].items():
        lines.append(f"{label:<24}{row['precision']:>10.3f}{row['recall']:>10.3f}{row['f1']:>10.3f}"
                     f"{row['support']:>9}")
    if result["confusions"]:
        lines += ["", "常见混淆（真实 → 预测）："]
        lines += [f"  {c['intent']} → {c['predicted']}: {c['count']}" for c in result["confusions"]]
    return "\n".join(lines)

