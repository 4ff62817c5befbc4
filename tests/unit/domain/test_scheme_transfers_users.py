"""Archiving schemes, transfers and users."""

from __future__ import annotations

import uuid

import pytest

from domain.errors import DomainError, InvalidValue
from domain.scheme import ArchivingScheme
from domain.transfers import Transfer
from domain.users import Role, User
from domain.values import Retention, SecurityLevel


def test_a_scheme_starts_with_the_four_standard_categories_and_accepts_custom_ones() -> None:
    scheme = ArchivingScheme.define(fonds="z109", fonds_name="示例市档案馆", actor="admin")
    assert scheme.fonds == "Z109" and scheme.categories == {"WS": "文书", "YW": "业务", "KJ": "科技", "KU": "会计"}
    scheme.add_category("SX", "声像", actor="admin")
    with pytest.raises(InvalidValue, match="already exists"):
        scheme.add_category("SX", "声像", actor="admin")
    assert scheme.id == ArchivingScheme.create_id(fonds="Z109")


def test_the_retention_schedule_gives_a_class_its_default_period() -> None:
    scheme = ArchivingScheme.define(fonds="Z109", fonds_name="x", actor="admin")
    scheme.add_class("BGS", "办公室", actor="admin", retention=Retention("D30"))
    assert scheme.default_retention("BGS") == Retention("D30")
    scheme.check_classification(category="WS", org="BGS")
    with pytest.raises(InvalidValue, match="no organisation"):
        scheme.check_classification(category="WS", org="CWK")
    with pytest.raises(InvalidValue, match="no category"):
        scheme.check_classification(category="XX", org="BGS")


def test_qc_profiles_take_whole_numbers_for_known_settings_only() -> None:
    scheme = ArchivingScheme.define(fonds="Z109", fonds_name="x", actor="admin")
    scheme.set_qc_profile({"min_dpi": 400}, actor="admin")
    assert scheme.qc_profile["min_dpi"] == 400 and scheme.qc_profile["max_skew_tenths"] == 5
    with pytest.raises(InvalidValue, match="unknown QC setting"):
        scheme.set_qc_profile({"sharpness": 3}, actor="admin")
    with pytest.raises(InvalidValue, match="whole numbers"):
        scheme.set_qc_profile({"min_dpi": 299.5}, actor="admin")


def test_a_transfer_receives_each_listed_item_once_and_reports_what_is_missing() -> None:
    transfer = Transfer.register(department="办公室", expected=["A-1", "A-2", "A-3"], actor="archivist")
    transfer.receive(uuid.uuid4(), "A-1", actor="archivist")
    with pytest.raises(InvalidValue, match="already received"):
        transfer.receive(uuid.uuid4(), "A-1", actor="archivist")
    with pytest.raises(InvalidValue, match="not on the transfer list"):
        transfer.receive(uuid.uuid4(), "B-9", actor="archivist")
    transfer.check_receipt(actor="archivist")
    assert transfer.missing == ["A-2", "A-3"] and not transfer.complete
    with pytest.raises(DomainError, match="already checked"):
        transfer.receive(uuid.uuid4(), "A-2", actor="archivist")


def test_a_transfer_list_must_name_distinct_items() -> None:
    with pytest.raises(InvalidValue, match="twice"):
        Transfer.register(department="办公室", expected=["A-1", "A-1"], actor="a")
    with pytest.raises(InvalidValue, match="lists the items"):
        Transfer.register(department="办公室", expected=[], actor="a")


def test_user_names_are_unique_whatever_their_case() -> None:
    assert User.create_id(username="Zhang.San") == User.create_id(username="zhang.san")
    with pytest.raises(InvalidValue, match="user name"):
        User.register(username="a b", roles=[Role.READER], clearance=SecurityLevel.PUBLIC, password_hash="h", actor="admin")


def test_a_user_keeps_at_least_one_role_and_can_be_disabled_and_enabled() -> None:
    user = User.register(
        username="li.si", roles=[Role.READER], clearance=SecurityLevel.INTERNAL, password_hash="h", actor="admin"
    )
    with pytest.raises(DomainError, match="at least one role"):
        user.revoke_role(Role.READER, actor="admin")
    user.grant_role(Role.ARCHIVIST, actor="admin")
    user.revoke_role(Role.READER, actor="admin")
    assert user.roles == {Role.ARCHIVIST}
    user.disable(actor="admin", reason="离职")
    assert not user.enabled
    user.enable(actor="admin")
    assert user.enabled


def test_clearance_decides_what_a_user_may_see() -> None:
    user = User.register(username="wang", roles=[Role.READER], clearance=SecurityLevel.INTERNAL, password_hash="h", actor="admin")
    assert user.may_see(SecurityLevel.PUBLIC) and user.may_see(SecurityLevel.INTERNAL)
    assert not user.may_see(SecurityLevel.SECRET)
    user.change_clearance(SecurityLevel.SECRET, actor="admin")
    assert user.may_see(SecurityLevel.SECRET)
