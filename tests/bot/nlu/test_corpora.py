"""The split of the public corpora: the same on every run, and one letter never on both sides."""

from __future__ import annotations

import pytest

from bot.nlu import corpora


@pytest.fixture(autouse=True)
def _needs_corpora() -> None:
    if not corpora.available(corpora.CITIZEN_MESSAGES):
        pytest.skip(f"the public corpora are not in {corpora.corpora_dir()} (set ZWBOT_CORPORA_DIR)")


def test_about_a_third_of_every_corpus_is_kept_aside() -> None:
    for name in (corpora.NONGOV, corpora.CITIZEN_MESSAGES, corpora.GOV_REPLIES, corpora.GUANGDONG_ITEMS):
        held_out = sum(1 for _ in corpora.rows(name, "held_out"))
        total = sum(1 for _ in corpora.rows(name, "all"))
        assert 0.25 < held_out / total < 0.35, name


def test_a_segmented_letter_sits_on_the_side_of_the_raw_letter_it_copies() -> None:
    held_out = {row["id"] for row in corpora.rows(corpora.CITIZEN_MESSAGES, "held_out")}
    trained = {row["id"] for row in corpora.rows(corpora.CITIZEN_MESSAGES, "train")}
    copies = [row["matches_raw_id"] for row in corpora.rows(corpora.CITIZEN_MESSAGES_SEGMENTED, "train")
              if row.get("matches_raw_id")]
    assert copies and not held_out.intersection(copies) and trained.issuperset(copies)


def test_the_split_depends_on_the_row_not_on_the_order_it_is_read_in() -> None:
    rows = list(corpora.rows(corpora.NONGOV, "all"))
    assert [corpora.is_held_out(row) for row in reversed(rows)] == [corpora.is_held_out(row) for row in rows][::-1]
    assert corpora.is_held_out({"text": "同一句话"}) == corpora.is_held_out({"text": "同一句话", "label": "x"})
