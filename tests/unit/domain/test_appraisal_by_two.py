"""Double appraisal (DESIGN §6, separation of duties: "an appraisal needs two appraisers where the scheme says so")."""

from __future__ import annotations

import json

import pytest
from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, Mapper, StoredEvent, UUIDAsHex

from domain.archival_code import ArchivalCode
from domain.errors import SecondAppraiserNeeded
from domain.records import Record, RecordState
from domain.values import Retention, SecurityLevel
from tests.unit.domain.test_record_lifecycle import record_in

S = RecordState
D30, INTERNAL = Retention("D30"), SecurityLevel.INTERNAL


def proposed(by: str = "wang") -> Record:
    record = record_in(S.REVIEWED)
    record.appraise(D30, INTERNAL, actor=by, reason="初审", double=True)
    return record


def test_a_proposal_keeps_the_record_reviewed_and_says_who_proposed_what() -> None:
    record = proposed()
    assert record.state is S.REVIEWED and record.retention is None
    assert record.proposed_appraisal == {"retention": "D30", "security": int(INTERNAL), "actor": "wang", "reason": "初审"}
    assert type(record.collect_events()[-1]).__qualname__ == "Record.AppraisalProposed"


def test_the_proposer_cannot_confirm_their_own_proposal() -> None:
    record = proposed()
    with pytest.raises(SecondAppraiserNeeded, match="an appraisal needs a second appraiser: wang proposed it"):
        record.appraise(D30, INTERNAL, actor="wang", double=True)
    assert record.state is S.REVIEWED


def test_a_second_appraiser_with_the_same_values_makes_it_appraised_and_the_event_names_both() -> None:
    record = proposed()
    record.appraise(D30, INTERNAL, actor="li", reason="复审同意", double=True)
    assert record.state is S.APPRAISED and record.retention == D30 and record.security is INTERNAL
    assert record.proposed_appraisal is None
    appraised = record.collect_events()[-1]
    assert type(appraised).__qualname__ == "Record.Appraised"
    assert (appraised.actor, appraised.proposed_by) == ("li", "wang")


def test_other_values_from_another_appraiser_replace_the_proposal_which_then_needs_yet_another() -> None:
    record = proposed()
    record.appraise(Retention("D30"), SecurityLevel.SECRET, actor="li", double=True)
    assert record.state is S.REVIEWED
    assert record.proposed_appraisal and record.proposed_appraisal["actor"] == "li"
    assert record.proposed_appraisal["security"] == int(SecurityLevel.SECRET)
    with pytest.raises(SecondAppraiserNeeded, match="li proposed it"):
        record.appraise(D30, SecurityLevel.SECRET, actor="li", double=True)
    record.appraise(D30, SecurityLevel.SECRET, actor="wang", double=True)  # the first one may confirm the new values
    assert record.state is S.APPRAISED and record.collect_events()[-1].proposed_by == "li"


def test_a_proposal_takes_no_item_number_the_confirmation_does() -> None:
    record = record_in(S.REVIEWED)  # its 档号 carries D30
    new_code = ArchivalCode.parse("Z109-WS·2011-Y-BGS-0001")
    assert not record.appraisal_takes_effect(Retention("Y"), INTERNAL, "wang", double=True)
    with pytest.raises(Exception, match="allocates no item number"):
        record.appraise(Retention("Y"), INTERNAL, actor="wang", code=new_code, double=True)
    record.appraise(Retention("Y"), INTERNAL, actor="wang", double=True)  # no new code needed for a proposal
    assert record.appraisal_takes_effect(Retention("Y"), INTERNAL, "li", double=True)
    record.appraise(Retention("Y"), INTERNAL, actor="li", code=new_code, double=True)
    assert str(record.code) == str(new_code)


def test_without_double_appraisal_one_appraiser_suffices() -> None:
    record = record_in(S.REVIEWED)
    assert record.appraisal_takes_effect(D30, INTERNAL, "wang", double=False)
    record.appraise(D30, INTERNAL, actor="wang")
    assert record.state is S.APPRAISED
    assert record.collect_events()[-1].proposed_by is None


def test_an_appraised_event_stored_before_double_appraisal_still_decodes() -> None:
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DatetimeAsISO())
    mapper = Mapper(transcoder=transcoder)
    record = record_in(S.REVIEWED)
    record.appraise(D30, INTERNAL, actor="li")
    events = record.collect_events()
    stored = mapper.to_stored_event(events[-1])
    state = json.loads(stored.state)
    assert state.pop("class_version") == 2
    del state["proposed_by"]  # as Appraised events were written before the field existed (version 1)
    old = StoredEvent(stored.originator_id, stored.originator_version, stored.topic, json.dumps(state).encode())
    decoded = mapper.to_domain_event(old)
    assert decoded.proposed_by is None and decoded.actor == "li"
    replayed = None
    for event in [*events[:-1], decoded]:
        replayed = event.mutate(replayed)
    assert replayed is not None and replayed.state is S.APPRAISED and replayed.retention == D30
