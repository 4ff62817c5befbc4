"""The Record lifecycle (DESIGN §3): every action from every state, legal and illegal, and the rules around it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain.archival_code import ArchivalCode
from domain.errors import DomainError, IllegalTransition, InvalidValue
from domain.records import TRANSITIONS, Medium, Record, RecordState, RetentionDecision, allowed_from
from domain.values import Retention, SecurityLevel

SHA = "ab" * 32
CODE = ArchivalCode.parse("Z109-WS·2011-D30-BGS-0001")
S = RecordState


def paper() -> Record:
    return Record.collect(title="关于档案工作的通知", source="办公室", actor="archivist")


def digital() -> Record:
    return Record.collect(
        title="电子公文",
        source="办公室",
        medium=Medium.DIGITAL,
        actor="archivist",
        originals=[{"name": "a.pdf", "sha256": SHA, "size": 10}],
    )


# How to bring a record into each state, step by step (the path a real record takes).
STEPS: dict[str, Callable[[Record], None]] = {
    "catalogue": lambda r: r.catalogue(CODE, "办公室/通知", actor="archivist"),
    "review": lambda r: r.review(True, actor="archivist"),
    "appraise": lambda r: r.appraise(Retention("D30"), SecurityLevel.INTERNAL, actor="appraiser"),
    "scan": lambda r: r.scan([{"no": 1, "sha256": SHA}, {"no": 2, "sha256": SHA}], actor="scanner"),
    "process": lambda r: r.process([{"no": 1, "skew": 0.3}], {"denoise": "median3"}, actor="scanner"),
    "fail_qc": lambda r: r.fail_qc({"2": ["blurred"]}, actor="checker"),
    "request_rework": lambda r: r.request_rework([2], actor="checker"),
    "pass_qc": lambda r: r.pass_qc(actor="checker"),
    "recognise_text": lambda r: r.recognise_text(SHA, {"1": 97}, "rapidocr", actor="scanner"),
    "ingest": lambda r: r.ingest("aip-1", ["primary"], actor="archivist"),
    "review_retention": lambda r: r.review_retention(RetentionDecision.DISPOSE, actor="appraiser", reason="期满"),
    "approve_disposal": lambda r: r.approve_disposal(actor="director", reason="鉴定委员会同意"),
    "destroy": lambda r: r.destroy(actor="archivist", reason="按清册销毁"),
}
PATHS: dict[RecordState, list[str]] = {
    S.COLLECTED: [],
    S.CATALOGUED: ["catalogue"],
    S.REVIEWED: ["catalogue", "review"],
    S.APPRAISED: ["catalogue", "review", "appraise"],
    S.SCANNED: ["catalogue", "review", "appraise", "scan"],
    S.PROCESSED: ["catalogue", "review", "appraise", "scan", "process"],
    S.QC_FAILED: ["catalogue", "review", "appraise", "scan", "process", "fail_qc"],
    S.REWORK: ["catalogue", "review", "appraise", "scan", "process", "fail_qc", "request_rework"],
    S.QC_PASSED: ["catalogue", "review", "appraise", "scan", "process", "pass_qc"],
    S.TEXT_RECOGNISED: ["catalogue", "review", "appraise", "scan", "process", "pass_qc", "recognise_text"],
    S.INGESTED: ["catalogue", "review", "appraise", "scan", "process", "pass_qc", "recognise_text", "ingest"],
    S.DISPOSAL_PROPOSED: ["catalogue", "review", "appraise", "scan", "process", "pass_qc", "ingest", "review_retention"],
    S.DISPOSAL_APPROVED: [
        "catalogue",
        "review",
        "appraise",
        "scan",
        "process",
        "pass_qc",
        "ingest",
        "review_retention",
        "approve_disposal",
    ],
    S.DESTROYED: [
        "catalogue",
        "review",
        "appraise",
        "scan",
        "process",
        "pass_qc",
        "ingest",
        "review_retention",
        "approve_disposal",
        "destroy",
    ],
}
ACTIONS: dict[str, Callable[[Record], None]] = {
    **STEPS,
    "annotate": lambda r: r.annotate({"keywords": "通知"}, actor="archivist"),
    "correct": lambda r: r.correct({"title": "关于档案工作的通知（更正）"}, actor="archivist", reason="错别字"),
    "reclassify": lambda r: r.reclassify(actor="appraiser", reason="解密", security=SecurityLevel.PUBLIC),
    "pass_qc": lambda r: r.pass_qc(actor="checker", override_reason="人工复核通过" if r.state is S.QC_FAILED else None),
}


def record_in(state: RecordState) -> Record:
    record = paper()
    for step in PATHS[state]:
        STEPS[step](record)
    assert record.state is state
    return record


@pytest.mark.parametrize("state", list(S), ids=lambda s: s.value)
@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_each_action_is_allowed_exactly_from_the_states_the_lifecycle_names(action: str, state: RecordState) -> None:
    record = record_in(state)
    if state in allowed_from(action, Medium.PAPER):
        ACTIONS[action](record)
    else:
        with pytest.raises(IllegalTransition) as refused:
            ACTIONS[action](record)
        assert refused.value.state == state.value and refused.value.action == action
        assert state.value.replace("_", " ") in str(refused.value)


def test_born_digital_records_take_text_and_ingest_straight_after_appraisal() -> None:
    assert allowed_from("ingest", Medium.DIGITAL) == {S.APPRAISED, S.TEXT_RECOGNISED}
    assert allowed_from("ingest", Medium.PAPER) == {S.QC_PASSED, S.TEXT_RECOGNISED}
    assert allowed_from("scan", Medium.DIGITAL) == frozenset()


def test_a_record_cannot_be_appraised_before_review() -> None:
    record = record_in(S.CATALOGUED)
    with pytest.raises(IllegalTransition, match="cannot appraise a record that is catalogued"):
        STEPS["appraise"](record)


def test_every_event_carries_the_actor_and_the_reason() -> None:
    record = record_in(S.CATALOGUED)
    record.correct({"title": "新题名"}, actor="li", reason="题名不准确")
    events = record.collect_events()
    assert [type(e).__qualname__ for e in events] == ["Record.Collected", "Record.Catalogued", "Record.MetadataCorrected"]
    assert all(e.actor for e in events)
    assert events[-1].reason == "题名不准确" and record.title == "新题名"


def test_replaying_the_events_rebuilds_the_same_record() -> None:
    record = record_in(S.REWORK)
    events = record.collect_events()
    copy = None
    for e in events:
        copy = e.mutate(copy)
    assert copy is not None
    assert vars(copy) == vars(record)


def test_a_review_with_findings_keeps_the_record_catalogued_until_it_passes() -> None:
    record = record_in(S.CATALOGUED)
    with pytest.raises(InvalidValue, match="must say what was found"):
        record.review(False, actor="archivist")
    record.review(False, actor="archivist", findings=["责任者缺失"])
    assert record.state is S.CATALOGUED and record.findings == ["责任者缺失"]
    record.review(True, actor="archivist")
    assert record.state is S.REVIEWED and record.findings == []


def test_appraisal_that_changes_retention_needs_a_new_item_number_carrying_it() -> None:
    record = record_in(S.REVIEWED)
    with pytest.raises(InvalidValue, match="needs a new item number"):
        record.appraise(Retention("Y"), SecurityLevel.SECRET, actor="appraiser")
    with pytest.raises(InvalidValue, match="does not carry"):
        record.appraise(Retention("Y"), SecurityLevel.SECRET, actor="appraiser", code=CODE)
    record.appraise(Retention("Y"), SecurityLevel.SECRET, actor="appraiser", code=ArchivalCode.parse("Z109-WS·2011-Y-BGS-0007"))
    assert str(record.code) == "Z109-WS·2011-Y-BGS-0007" and record.security is SecurityLevel.SECRET


def test_the_scanner_of_a_batch_cannot_pass_its_quality_check() -> None:
    record = record_in(S.PROCESSED)
    with pytest.raises(DomainError, match="who scanned"):
        record.pass_qc(actor="scanner")


def test_a_failed_check_is_passed_only_by_an_override_with_a_reason() -> None:
    record = record_in(S.QC_FAILED)
    with pytest.raises(IllegalTransition):
        record.pass_qc(actor="checker")
    record.pass_qc(actor="checker", override_reason="页面为原件本身模糊")
    assert record.state is S.QC_PASSED


def test_a_rescan_replaces_only_the_reworked_pages() -> None:
    record = record_in(S.REWORK)
    new = "cd" * 32
    record.scan([{"no": 2, "sha256": new}], actor="scanner2")
    assert record.pages["1"]["sha256"] == SHA and record.pages["2"]["sha256"] == new
    assert record.state is S.SCANNED and record.scanned_by == "scanner2"
    with pytest.raises(InvalidValue, match="no page 9"):
        record_in(S.REWORK).scan([{"no": 9, "sha256": new}], actor="scanner")


def test_born_digital_records_skip_scanning_and_go_straight_to_ingest() -> None:
    record = digital()
    for step in ("catalogue", "review", "appraise"):
        STEPS[step](record)
    with pytest.raises(DomainError, match="born-digital"):
        STEPS["scan"](record)
    STEPS["ingest"](record)
    assert record.state is S.INGESTED


def test_originals_are_required_for_born_digital_and_refused_for_paper() -> None:
    with pytest.raises(InvalidValue, match="original files"):
        Record.collect(title="x", source="y", medium=Medium.DIGITAL, actor="a")
    with pytest.raises(InvalidValue, match="no original files"):
        Record.collect(title="x", source="y", actor="a", originals=[{"name": "a", "sha256": SHA, "size": 1}])
    with pytest.raises(InvalidValue, match="64-hex sha256"):
        Record.collect(title="x", source="y", medium="digital", actor="a", originals=[{"name": "a", "sha256": "zz", "size": 1}])
    with pytest.raises(InvalidValue, match="title"):
        Record.collect(title="  ", source="y", actor="a")


def test_a_permanent_record_cannot_be_proposed_for_disposal() -> None:
    record = paper()
    record.catalogue(ArchivalCode.parse("Z109-WS·2011-Y-BGS-0001"), "x", actor="a")
    record.review(True, actor="a")
    record.appraise(Retention("Y"), SecurityLevel.PUBLIC, actor="b")
    record.scan([{"no": 1, "sha256": SHA}], actor="s")
    record.process([], {}, actor="s")
    record.pass_qc(actor="c")
    record.ingest("aip", ["primary"], actor="a")
    with pytest.raises(DomainError, match="永久"):
        record.review_retention(RetentionDecision.DISPOSE, actor="b", reason="?")


def test_disposal_needs_a_second_person_and_a_reason() -> None:
    record = record_in(S.DISPOSAL_PROPOSED)
    with pytest.raises(DomainError, match="proposed the disposal"):
        record.approve_disposal(actor="appraiser", reason="ok")
    with pytest.raises(InvalidValue, match="reason"):
        record.approve_disposal(actor="director", reason=" ")


def test_corrections_need_a_reason_and_nothing_changes_after_disposal_is_approved() -> None:
    with pytest.raises(InvalidValue, match="reason"):
        record_in(S.CATALOGUED).correct({"title": "x"}, actor="a", reason=None)
    with pytest.raises(IllegalTransition):
        record_in(S.DISPOSAL_APPROVED).annotate({"k": "v"}, actor="a")


def test_extending_retention_needs_the_new_period() -> None:
    record = record_in(S.INGESTED)
    with pytest.raises(InvalidValue, match="new retention"):
        record.review_retention(RetentionDecision.EXTEND, actor="b", reason="仍有利用价值")
    record.review_retention(RetentionDecision.EXTEND, actor="b", reason="仍有利用价值", retention=Retention("Y"))
    assert record.retention == Retention("Y") and record.state is S.INGESTED
