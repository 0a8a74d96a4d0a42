"""The intent classifier: its fast prediction path agrees with scikit-learn, and it generalises."""

import numpy as np

from bot.nlu.intent import IntentClassifier
from bot.nlu.text import Tokenizer, normalize

TEXTS = ["你好", "您好啊", "早上好", "嗨", "谢谢", "多谢了", "感谢你", "太感谢了",
         "老人证要带什么", "营业执照怎么办", "公积金怎么提取", "社保卡在哪办", "订张机票", "放首歌", "明天天气", "讲个笑话"]
LABELS = ["greet"] * 4 + ["thank"] * 4 + ["ask_guide"] * 4 + ["out_of_scope"] * 4


def test_fast_path_matches_sklearn_probabilities() -> None:
    tokenizer = Tokenizer()
    classifier = IntentClassifier().fit([normalize(t) for t in TEXTS], LABELS, tokenizer)
    vectorizer, model = classifier._sklearn_check
    for text in ["您好", "老年证要带啥", "帮我订酒店", "谢谢你们"]:
        expected = model.predict_proba(vectorizer.transform([normalize(text)]))[0]
        ours = dict(classifier.predict(normalize(text), tokenizer.words(normalize(text))))
        assert np.allclose([ours[c] for c in model.classes_], expected, atol=1e-5)


def test_confidences_sum_to_one_and_rank_best_first() -> None:
    tokenizer = Tokenizer()
    classifier = IntentClassifier().fit([normalize(t) for t in TEXTS], LABELS, tokenizer)
    ranking = classifier.predict("谢谢您", tokenizer.words("谢谢您"))
    assert ranking[0][0] == "thank"
    assert abs(sum(c for _, c in ranking) - 1.0) < 1e-5
    assert [c for _, c in ranking] == sorted((c for _, c in ranking), reverse=True)


def test_two_intents_work_too() -> None:
    tokenizer = Tokenizer()
    classifier = IntentClassifier().fit([normalize(t) for t in TEXTS[:8]], LABELS[:8], tokenizer)
    assert classifier.predict("非常感谢", tokenizer.words("非常感谢"))[0][0] == "thank"
