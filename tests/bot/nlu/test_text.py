from bot.nlu.pinyin import PinyinTable
from bot.nlu.text import char_ngrams, clean, has_content, normalize, strip_brackets


def test_traditional_and_full_width_fold_to_one_spelling() -> None:
    assert normalize("營業執照要帶什麼材料？") == normalize("营业执照要带什么材料?")
    assert normalize("ＡＢＣ１２３") == "abc123"


def test_control_characters_are_dropped_and_blanks_collapse() -> None:
    assert clean("老人证\x00要\u200b带\t\t啥 \n") == "老人证要带 啥"


def test_emoji_and_punctuation_alone_have_no_content() -> None:
    assert not has_content(normalize("😀😀！！"))
    assert has_content("老人证")


def test_homophones_share_pinyin() -> None:
    pinyin = PinyinTable.build()
    assert pinyin.syllables("老人正") == pinyin.syllables("老人证") == ["lao", "ren", "zheng"]
    assert pinyin.syllables("a1，证") == ["a", "1", "zheng"]


def test_brackets_and_ngrams() -> None:
    assert strip_brackets("企业设立登记（营业执照核发）") == "企业设立登记"
    assert char_ngrams("营业执照", (2,)) == ["营业", "业执", "执照"]
