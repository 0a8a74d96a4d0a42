"""The knowledge base's items as compact JSON: read like a dict, changed records change the digest."""

from __future__ import annotations

import pickle

from bot.services.item_records import DECODED_KEPT, ItemRecords

RECORDS = {
    "lnr": {"id": "lnr", "name": "老年人优待证办理", "materials": [{"name": "身份证"}], "fee": None},
    "gjj": {"id": "gjj", "name": "住房公积金提取", "aliases": ["提取公积金"], "visits": 0},
}


def test_records_read_back_as_they_were_stored() -> None:
    items = ItemRecords.from_records(RECORDS)
    assert dict(items) == RECORDS and len(items) == 2 and list(items) == ["lnr", "gjj"]
    assert "lnr" in items and "nope" not in items and items.get("nope") is None
    assert ItemRecords({k: ItemRecords.encoded(text) for k, text in
                        (("lnr", '{"id": "lnr", "name": "\\u8001\\u5e74\\u4eba\\u4f18\\u5f85\\u8bc1\\u529e\\u7406"}'),)})[
        "lnr"]["name"] == "老年人优待证办理"  # the database's escaped JSON text is read as the characters


def test_the_digest_changes_with_any_record_and_only_then() -> None:
    same = ItemRecords.from_records(RECORDS).digest()
    assert ItemRecords.from_records(dict(RECORDS)).digest() == same
    changed = {**RECORDS, "gjj": {**RECORDS["gjj"], "visits": 1}}
    assert ItemRecords.from_records(changed).digest() != same
    assert ItemRecords.from_records({"lnr": RECORDS["lnr"]}).digest() != same


def test_many_reads_keep_a_bounded_number_decoded_and_survive_pickling() -> None:
    many = {f"i{n}": {"id": f"i{n}", "name": f"事项{n}"} for n in range(DECODED_KEPT * 2)}
    items = ItemRecords.from_records(many)
    assert [items[k]["name"] for k in many] == [r["name"] for r in many.values()]
    assert len(items._decoded) == DECODED_KEPT
    copy = pickle.loads(pickle.dumps(items))  # as it travels to the process that builds the index
    assert dict(copy) == many and copy.digest() == items.digest()
