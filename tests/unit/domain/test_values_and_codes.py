"""档号 (DA/T 22-2015 §6), retention codes and security levels."""

from __future__ import annotations

import pytest

from domain.archival_code import ArchivalCode, ClassKey
from domain.errors import InvalidValue
from domain.numbering import ItemSequence
from domain.values import Retention, SecurityLevel


def test_a_code_parses_and_formats_back_to_its_canonical_form() -> None:
    code = ArchivalCode.parse("Z109-WS·2011-Y-BGS-0001")
    assert (code.fonds, code.category, code.year, code.retention, code.org, code.item) == ("Z109", "WS", 2011, "Y", "BGS", 1)
    assert str(code) == "Z109-WS·2011-Y-BGS-0001"
    assert str(code.class_key) == "Z109-WS·2011-Y-BGS"


@pytest.mark.parametrize("written", ["Z109-WS.2011-Y-BGS-0001", "Z109-WS-2011-Y-BGS-0001", " Z109-WS·2011-Y-BGS-1 "])
def test_common_variants_are_normalised(written: str) -> None:
    assert str(ArchivalCode.parse(written)) == "Z109-WS·2011-Y-BGS-0001"


def test_item_numbers_are_four_digits_and_grow_wider_only_past_9999() -> None:
    assert str(ArchivalCode("Z109", "KJ", 2020, "D10", "JJ", 12)) == "Z109-KJ·2020-D10-JJ-0012"
    assert str(ArchivalCode("Z109", "KJ", 2020, "D10", "JJ", 12345)) == "Z109-KJ·2020-D10-JJ-12345"


@pytest.mark.parametrize(
    ("written", "complaint"),
    [
        ("z109-WS·2011-Y-BGS-0001", "全宗号"),
        ("Z109-W1·2011-Y-BGS-0001", "not a 档号"),
        ("Z109-WS·11-Y-BGS-0001", "年度"),
        ("Z109-WS·2011-D999-BGS-0001", "retention"),
        ("Z109-WS·2011-Y-bgs-0001", "机构"),
        ("Z109-WS·2011-Y-BGS-0000", "件号"),
        ("Z109 WS 2011", "not a 档号"),
    ],
)
def test_each_malformed_part_is_named(written: str, complaint: str) -> None:
    with pytest.raises(InvalidValue, match=complaint):
        ArchivalCode.parse(written)


def test_item_numbers_run_without_gaps_or_reuse_within_a_class() -> None:
    key = ClassKey("Z109", "WS", 2011, "Y", "BGS")
    sequence = ItemSequence.start(key)
    codes = [sequence.allocate(__import__("uuid").uuid4(), actor="a") for _ in range(3)]
    assert [c.item for c in codes] == [1, 2, 3]
    assert sequence.id == ItemSequence.id_for(ClassKey("Z109", "WS", 2011, "Y", "BGS"))
    assert sequence.id != ItemSequence.id_for(ClassKey("Z109", "WS", 2012, "Y", "BGS"))
    copy = None
    for event in sequence.collect_events():
        copy = event.mutate(copy)
    assert copy.last == 3


@pytest.mark.parametrize(
    ("written", "code"), [("Y", "Y"), ("永久", "Y"), ("D30", "D30"), ("30年", "D30"), ("d10", "D10"), ("15", "D15")]
)
def test_retention_accepts_codes_and_chinese_labels(written: str, code: str) -> None:
    assert Retention.parse(written).code == code


def test_retention_knows_its_years_and_labels() -> None:
    assert Retention("Y").is_permanent and Retention("Y").years is None and Retention("Y").label_zh == "永久"
    assert Retention("D30").years == 30 and Retention("D30").label_zh == "30年"
    with pytest.raises(InvalidValue, match="unknown retention"):
        Retention.parse("forever-ish")


def test_security_levels_are_ordered_and_parse_chinese_and_english() -> None:
    assert (
        SecurityLevel.PUBLIC
        < SecurityLevel.INTERNAL
        < SecurityLevel.SECRET
        < SecurityLevel.CONFIDENTIAL
        < SecurityLevel.TOP_SECRET
    )
    assert SecurityLevel.parse("机密") is SecurityLevel.CONFIDENTIAL
    assert SecurityLevel.parse("top-secret") is SecurityLevel.TOP_SECRET
    assert SecurityLevel.parse("2") is SecurityLevel.SECRET
    assert SecurityLevel.SECRET.chinese == "秘密"
    with pytest.raises(InvalidValue, match="公开"):
        SecurityLevel.parse("classified")
