"""Finding items from what citizens say: citizen words, the learned matcher, nlu_data's synonyms, and
"nothing found" rather than an unrelated item."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from bot.config import load_settings
from bot.nlu.pinyin import PinyinTable
from bot.nlu.retrieval import ItemIndex, synonym_words
from bot.nlu.text import Tokenizer, normalize
from tests.conftest import PROJECT_DIR

CONFIG = load_settings(PROJECT_DIR).config


@pytest.fixture(scope="module")
def pinyin() -> PinyinTable:
    return PinyinTable.build()


def _items() -> dict[str, dict[str, Any]]:
    return {
        "a-qysl": {"name": "企业设立登记（营业执照核发）", "aliases": ["营业执照", "注册公司"], "department": "市市场监督管理局",
                   "citizen_words": ["家政公司"]},
        "a-qybg": {"name": "企业变更登记", "aliases": ["营业执照变更", "公司变更"], "department": "市市场监督管理局",
                   "citizen_words": ["公司搬家", "换名字"]},
        "a-yljg": {"name": "医疗机构执业登记", "aliases": ["医疗机构执业许可证"], "department": "市卫生健康委员会",
                   "citizen_words": ["牙科门诊", "我家楼下想开个推拿按摩的小店面该办什么"]},
        "a-lnyd": {"name": "老年人优待证办理", "aliases": ["老人证"], "department": "市民政局",
                   "materials": [{"name": "居民身份证"}]},
    }


def _index(items: dict[str, dict[str, Any]], pinyin: PinyinTable, **extra: Any) -> ItemIndex:
    return ItemIndex(items, {}, Tokenizer(), pinyin, ["怎么办", "要什么", "办什么", "吗", "的", "了"],
                     settings=CONFIG.item_matcher, bars=CONFIG.thresholds, **extra)


def _best(index: ItemIndex, text: str) -> str | None:
    found = index.search(normalize(text))
    return found[0].item_id if found else None


def test_a_citizen_word_names_the_item_even_beside_the_name_of_another(pinyin) -> None:  # type: ignore[no-untyped-def]
    index = _index(_items(), pinyin)
    assert _best(index, "想开个牙科门诊要办哪些手续") == "a-yljg"
    assert _best(index, "公司搬家了营业执照要怎么弄") == "a-qybg"  # not 营业执照's 企业设立登记
    assert _best(index, "我们公司想换名字，得办啥") == "a-qybg"
    assert _best(index, "营业执照怎么办") == "a-qysl"  # the name alone still finds its own item


def test_a_resolved_question_teaches_the_matcher_similar_wordings(pinyin) -> None:  # type: ignore[no-untyped-def]
    index = _index(_items(), pinyin)
    assert _best(index, "楼下想开个推拿按摩店该办什么") == "a-yljg"
    without = _items()
    without["a-yljg"]["citizen_words"] = ["牙科门诊"]
    assert _best(_index(without, pinyin), "楼下想开个推拿按摩店该办什么") is None


def test_nothing_is_offered_when_nothing_fits(pinyin) -> None:  # type: ignore[no-untyped-def]
    index = _index(_items(), pinyin)
    assert index.search(normalize("俺家娃要上户口咋弄")) == []
    assert index.search(normalize("今天天气怎么样")) == []
    # Sharing one common word ("登记") with several items is no sign of any of them.
    assert index.search(normalize("结婚登记要带什么")) == []


def test_synonyms_of_an_item_become_its_names_unless_other_items_use_the_word(pinyin) -> None:  # type: ignore[no-untyped-def]
    items = _items()
    words = synonym_words({"夕阳卡": "老年人优待证办理", "执照": "企业设立登记（营业执照核发）",
                           "卫健委": "市卫生健康委员会"}, items)
    assert words == {"a-lnyd": ["夕阳卡"]}  # 执照 is in 企业变更登记's alias too; 卫健委 is no item
    index = _index(items, pinyin, extra_words=words)
    assert _best(index, "夕阳卡要带什么") == "a-lnyd"


def test_the_sample_knowledge_base_finds_items_from_situations(assistant) -> None:  # type: ignore[no-untyped-def]
    situations = {"想开个牙科门诊要办哪些手续": {"wj-yljg"}, "我们公司想换个名字，得办啥": {"sj-qybg"},
                  "在菜市场摆摊卖卤菜要什么证": {"sj-spjy", "sj-gtdj"}, "公司搬家了营业执照要怎么弄": {"sj-qybg"},
                  "想开个家政公司": {"sj-qysl"}, "被单位辞退了能领失业金吗": {"rs-syj"}}
    for text, wanted in situations.items():
        candidates = [c.item_id for c in assistant.parse(text).candidates]
        assert candidates and candidates[0] in wanted, (text, candidates[:3])
    stall = [c.item_id for c in assistant.parse("在菜市场摆摊卖卤菜要什么证").candidates[:2]]
    assert set(stall) == {"sj-spjy", "sj-gtdj"}


async def test_a_question_about_nothing_we_hold_is_answered_with_nothing_found(assistant) -> None:  # type: ignore[no-untyped-def]
    result = assistant.parse("俺家娃要上户口咋弄")
    assert result.item_id is None and result.candidates == []
    replies = await assistant.handle("办居住证需要什么材料", f"none-{uuid.uuid4().hex}")
    text = "\n".join(r.text for r in replies)
    assert "没有找到" in text and "【" not in text
    assert assistant.knowledge.centre["phone"] in text  # and whom to call
