"""`zwbot test nlu` and `zwbot train`: intent accuracy, macro-F1, per-intent report, confusions.

When the test data has an `out_of_scope` intent, predictions go through the same scope decision as the
Interpreter (config.yml `thresholds.fallback`): a business intent that does not clear its bar counts as
predicted out_of_scope. Without a knowledge base the only evidence of business is config.yml's
`business_words`. The report then also has out-of-scope precision and recall.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable

from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from bot.configuration import Configuration, FallbackBar
from bot.nlu.intent import IntentClassifier
from bot.nlu.model import classifier_from
from bot.nlu.text import Tokenizer, normalize
from bot.nlu.training_data import Example, TrainingData, TrainingDataError, read_path


def _classifier(config: Configuration) -> IntentClassifier:
    return classifier_from(config)


def _score(train: list[Example], test: list[Example], config: Configuration,
           tokenizer: Tokenizer) -> tuple[list[str], list[str], float]:
    if not train or not test:
        raise TrainingDataError("训练集和测试集都不能为空")
    started = time.perf_counter()
    classifier = _classifier(config).fit([normalize(e.text) for e in train], [e.intent for e in train], tokenizer)
    seconds = time.perf_counter() - started
    scope = _scope_decision(config) if any(e.intent == OUT_OF_SCOPE for e in test) else None
    predicted = []
    for text in (normalize(e.text) for e in test):
        words = tokenizer.words(text)
        ranking = classifier.predict(text, words)
        predicted.append(scope(ranking, words) if scope else ranking[0][0])
    return [e.intent for e in test], predicted, seconds


OUT_OF_SCOPE = "out_of_scope"


def _scope_decision(config: Configuration) -> Callable[[list[tuple[str, float]], list[str]], str]:
    """The Interpreter's override to out_of_scope, with config.yml's business words as the only evidence."""
    from bot.nlu.intent import NO_EVIDENCE, WORDS, ScopePolicy
    from bot.nlu.interpreter import BUSINESS_INTENTS

    policy = ScopePolicy(config.thresholds.fallback, BUSINESS_INTENTS)
    business = {normalize(w) for w in config.business_words}

    def decide(ranking: list[tuple[str, float]], words: list[str]) -> str:
        intent = ranking[0][0]
        evidence = WORDS if any(w in business for w in words) else NO_EVIDENCE
        if intent in BUSINESS_INTENTS and not policy.accepts(ranking, evidence):
            return OUT_OF_SCOPE
        return intent

    return decide


def out_of_scope_report(truth: list[str], predicted: list[str]) -> dict[str, Any] | None:
    """Precision and recall of out_of_scope (None when the test data has none), and the share of
    out_of_scope examples taken for any intent that is not the centre's business (greet, chitchat …)."""
    from bot.nlu.interpreter import BUSINESS_INTENTS

    actual = sum(t == OUT_OF_SCOPE for t in truth)
    if not actual:
        return None
    said = sum(p == OUT_OF_SCOPE for p in predicted)
    right = sum(t == p == OUT_OF_SCOPE for t, p in zip(truth, predicted))
    not_business = sum(t == OUT_OF_SCOPE and p not in BUSINESS_INTENTS for t, p in zip(truth, predicted))
    return {"precision": round(right / said, 4) if said else 0.0, "recall": round(right / actual, 4),
            "not_business": round(not_business / actual, 4), "support": actual}


def report(truth: list[str], predicted: list[str], train_seconds: float, **extra: Any) -> dict[str, Any]:
    labels = sorted(set(truth) | set(predicted))
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=labels,
                                                                     zero_division=0)
    confusions = Counter((t, p) for t, p in zip(truth, predicted) if t != p)
    scope = out_of_scope_report(truth, predicted)
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
        **({"out_of_scope": scope} if scope else {}),
        **extra,
    }


def evaluate_files(train_file: Path, test_file: Path, config: Configuration) -> dict[str, Any]:
    train, test = read_path(train_file).examples, read_path(test_file).examples
    truth, predicted, seconds = _score(train, test, config, Tokenizer())
    return report(truth, predicted, seconds, train_examples=len(train))


def cross_validate(folder: Path, folds: int, config: Configuration) -> dict[str, Any]:
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
        t, p, s = _score(train, test, config, tokenizer)
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
    if result.get("out_of_scope"):
        scope = result["out_of_scope"]
        lines += ["", f"超出范围（out_of_scope，含低置信度改判）：precision {scope['precision']:.3f}  "
                      f"recall {scope['recall']:.3f}  识别为非业务 {scope['not_business']:.3f}  "
                      f"support {scope['support']}"]
    if result["confusions"]:
        lines += ["", "常见混淆（真实 → 预测）："]
        lines += [f"  {c['intent']} → {c['predicted']}: {c['count']}" for c in result["confusions"]]
    return "\n".join(lines)



def calibrate_fallback(data: TrainingData, items: Mapping[str, dict[str, Any]], department_aliases: dict[str, str],
                       config: Configuration, folds: int = 3, lost_cost: float = 6.0) -> dict[str, Any]:
    """Per-intent FallbackClassifier bars tuned on training material only (config.yml `thresholds.fallback`).

    Every training example (nlu_data, item names, the corpora's training sample) is predicted by a model
    that did not see it (`folds`-fold cross-validation); the training part's rows left out of the sample
    are predicted by the model trained on everything. Each source (our own data, each corpus) weighs the
    same. For each business intent the bar minimises (weighted share of not-business messages accepted)
    + `lost_cost` × (weighted share of business messages lost).
    """
    from bot.nlu.interpreter import BUSINESS_INTENTS, Interpreter
    from bot.nlu.model import corpus_examples, train_model, training_examples, user_words

    texts, labels = training_examples(data, items, config)
    ours = len(texts) - len(corpus_examples(config)[0])
    model = train_model(data, items, department_aliases, config)
    interpreter = Interpreter.build(model, data, items, department_aliases, config)
    tokenizer = Tokenizer(user_words(items, department_aliases))
    order = list(range(len(texts)))
    random.Random(42).shuffle(order)
    rankings: list[list[tuple[str, float]] | None] = [None] * len(texts)
    for fold in range(folds):
        test = set(order[fold::folds])
        classifier = _classifier(config).fit([texts[i] for i in order if i not in test],
                                               [labels[i] for i in order if i not in test], tokenizer)
        for i in test:
            rankings[i] = classifier.predict(texts[i], tokenizer.words(texts[i]))
    rows: list[_Row] = []
    for n, (text, label, ranking) in enumerate(zip(texts, labels, rankings)):
        inputs = interpreter.scope_inputs(text)
        if inputs is not None and ranking is not None:
            rows.append(_Row(ranking, inputs[1], label in BUSINESS_INTENTS, "ours" if n < ours else label))
    seen = set(texts)
    sampled = config.intent_classifier.corpora
    every_row = sampled.model_copy(update={k: 10 ** 6 for k, rows in sampled.model_dump().items() if rows})
    unseen_texts, unseen_labels = corpus_examples(config.model_copy(update={
        "intent_classifier": config.intent_classifier.model_copy(update={"corpora": every_row})}))
    for text, label in zip(unseen_texts, unseen_labels):
        if text not in seen:
            inputs = interpreter.scope_inputs(text)
            if inputs is not None:
                rows.append(_Row(inputs[0], inputs[1], label in BUSINESS_INTENTS, label))
    sizes = Counter((r.source, r.in_scope) for r in rows)
    for row in rows:
        row.weight = 1.0 / sizes[(row.source, row.in_scope)]
    bars: dict[str, Any] = {"default": _best_bar(rows, BUSINESS_INTENTS, lost_cost)}
    for intent in sorted(BUSINESS_INTENTS):
        mine = [r for r in rows if r.ranking[0][0] == intent]
        if sum(r.in_scope for r in mine) >= 20 and sum(not r.in_scope for r in mine) >= 5:
            bars[intent] = _best_bar(mine, BUSINESS_INTENTS, lost_cost)
    return {"fallback": bars, "examples": len(rows)}


@dataclass
class _Row:
    ranking: list[tuple[str, float]]
    evidence: int
    in_scope: bool
    source: str
    weight: float = 1.0


_GRID = [round(0.05 * n, 2) for n in range(0, 20)]


def _best_bar(rows: list[_Row], business: frozenset[str], lost_cost: float) -> dict[str, float]:
    """The (threshold, ambiguity_threshold, without_evidence) of least cost over `rows` whose best is business."""
    from bot.nlu.intent import ScopePolicy

    rows = [r for r in rows if r.ranking[0][0] in business]
    inside = sum(r.weight for r in rows if r.in_scope) or 1.0
    outside = sum(r.weight for r in rows if not r.in_scope) or 1.0
    best: tuple[float, dict[str, float]] = (float("inf"), {})
    # The bars stay moderate whatever the data says: a follow-up such as "那要带什么东西" names nothing and
    # must still reach the guide, and our own examples are easier than what citizens write.
    for threshold in _GRID[:11]:
        for ambiguity in (0.0, 0.05, 0.1, 0.15, 0.2):
            for without in [t for t in _GRID[:17] if t >= threshold]:
                bar = FallbackBar(threshold=threshold, ambiguity_threshold=ambiguity, without_evidence=without)
                policy = ScopePolicy({"default": bar}, business)
                lost = accepted = 0.0
                for row in rows:
                    taken = policy.accepts(row.ranking, row.evidence)
                    if row.in_scope and not taken:
                        lost += row.weight
                    elif taken and not row.in_scope:
                        accepted += row.weight
                cost = accepted / outside + lost_cost * lost / inside
                if cost < best[0] - 1e-9:
                    best = (cost, {"threshold": threshold, "ambiguity_threshold": ambiguity,
                                   "without_evidence": without})
    return best[1]
