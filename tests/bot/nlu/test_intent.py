"""The intent classifier: its fast prediction path agrees with scikit-learn, it generalises, and the
scope policy keeps or drops a business intent the way config.yml's bars say."""

import numpy as np

from bot.configuration import FallbackBar
from bot.nlu.intent import NAMED, NO_EVIDENCE, WORDS, IntentClassifier, ScopePolicy, derive_business_words
from bot.nlu.text import Tokenizer, normalize

TEXTS = ["你好", "您好啊", "早上好", "嗨", "谢谢", "多谢了", "感谢你", "太感谢了",
         "老人证要带什么", "营业执照怎么办", "公积金怎么提取", "社保卡在哪办", "订张机票", "放首歌", "明天天气", "讲个笑话"]
LABELS = ["greet"] * 4 + ["thank"] * 4 + ["ask_guide"] * 4 + ["out_of_scope"] * 4
BUSINESS = frozenset({"ask_guide", "complain"})


def test_fast_path_matches_sklearn_features_and_weights() -> None:
    tokenizer = Tokenizer()
    for nb_alpha in (0.0, 1.0):
        classifier = IntentClassifier(nb_alpha=nb_alpha).fit([normalize(t) for t in TEXTS], LABELS, tokenizer)
        vectorizer = classifier._sklearn_check
        for text in ["您好", "老年证要带啥", "帮我订酒店", "谢谢你们"]:
            text = normalize(text)
            expected = vectorizer.transform([text]).toarray()[0] @ classifier._weights + classifier._bias
            assert np.allclose(classifier.decision(text, tokenizer.words(text)), expected, atol=1e-5)


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


def test_a_large_class_does_not_swallow_a_small_one_when_balanced() -> None:
    tokenizer = Tokenizer()
    texts = TEXTS[:4] + [f"帮我订{city}的酒店" for city in "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉"] * 3
    labels = ["greet"] * 4 + ["out_of_scope"] * (len(texts) - 4)
    balanced = IntentClassifier(balance=1.0).fit([normalize(t) for t in texts], labels, tokenizer)
    assert balanced.predict("你好呀", tokenizer.words("你好呀"))[0][0] == "greet"


def test_scope_policy_needs_more_confidence_without_evidence() -> None:
    policy = ScopePolicy({"default": FallbackBar(threshold=0.3, ambiguity_threshold=0.1, without_evidence=0.7),
                          "complain": FallbackBar(without_evidence=0.4)}, BUSINESS)
    sure = [("ask_guide", 0.8), ("out_of_scope", 0.1)]
    unsure = [("ask_guide", 0.5), ("out_of_scope", 0.3)]
    close = [("ask_guide", 0.45), ("out_of_scope", 0.4)]
    assert policy.accepts(sure, NO_EVIDENCE)
    assert not policy.accepts(unsure, NO_EVIDENCE)
    assert policy.accepts(unsure, WORDS)
    assert not policy.accepts(close, WORDS)  # not ahead of "not business" by the ambiguity margin
    assert policy.accepts(close, NAMED)  # an item named outright keeps it
    assert policy.accepts([("complain", 0.5), ("out_of_scope", 0.3)], NO_EVIDENCE)  # its own, lower bar


def test_two_business_intents_close_together_stay_business() -> None:
    policy = ScopePolicy({"default": FallbackBar(threshold=0.3, ambiguity_threshold=0.2, without_evidence=0.3)},
                         BUSINESS)
    assert policy.accepts([("complain", 0.45), ("ask_guide", 0.44), ("out_of_scope", 0.05)], NO_EVIDENCE)


def test_business_words_are_the_knowledge_base_words_everyday_talk_lacks() -> None:
    kb = [["营业执照", "申请", "材料"], ["营业执照", "材料", "一定"], ["材料", "许可证", "一定"], ["许可证"]]
    everyday = [["一定", "要", "去"], ["酒店", "一定"], ["申请", "会员"]] * 100
    general = {"的": 10 ** 7, "一定": 25000, "材料": 9000, "营业执照": 165, "许可证": 700}
    words = derive_business_words(kb, everyday, general)
    assert {"营业执照", "材料", "许可证"} <= words
    assert "一定" not in words and "申请" not in words


def test_words_common_in_general_chinese_are_no_evidence() -> None:
    kb = [["专业", "许可证"]] * 20 + [["的"]] * 980  # both in 2 % of the knowledge base's fields
    general = {"的": 10 ** 7, "专业": 16000, "许可证": 700}
    assert derive_business_words(kb, [], general) == {"许可证"}
