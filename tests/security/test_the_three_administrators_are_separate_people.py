"""Finding 3 (三员分立, GB/T 39784-2021): the system administrator keeps accounts, the security officer gives roles and
clearance, the security auditor reviews both. Before, the one administrator gave themself the archivist role and
绝密 clearance and read 绝密 page images."""

from __future__ import annotations

import pytest

from application.authorisation import Forbidden
from application.bootstrap import Services, initialise
from domain.errors import InvalidValue
from domain.users import Role
from domain.values import SecurityLevel
from tests.integration.clirunner import archive
from tests.integration.webclient import Browser, make_user
from tests.security.world import TOP, build
from web.app import create_app


def actors(services: Services):  # type: ignore[no-untyped-def]
    return (
        make_user(services, "boss", [Role.ADMIN], TOP),
        make_user(services, "sec", [Role.SECURITY_OFFICER], TOP),
        make_user(services, "shen", [Role.SECURITY_AUDITOR], TOP),
    )


def test_no_administrator_can_give_themself_content_and_none_reads_it(services: Services) -> None:
    world = build(services)
    boss, sec, _shen = actors(services)
    admin = services.administration
    for who in (boss, sec):
        with pytest.raises(Forbidden):
            admin.grant_role(who, who.username, "archivist")
        with pytest.raises(Forbidden):
            admin.change_clearance(who, who.username, SecurityLevel.TOP_SECRET)
    with pytest.raises(Forbidden, match="may not assign roles"):
        admin.grant_role(boss, "world.archivist", "appraiser")  # roles are not the system administrator's to give
    with pytest.raises(InvalidValue, match="held alone"):
        admin.grant_role(sec, "boss", "archivist")  # an administrator role is held alone
    with pytest.raises(Forbidden):
        admin.disable(sec, "world.archivist")  # accounts are not the security officer's
    with pytest.raises(Forbidden):
        services.accounts.issue_token(boss, "world.archivist", "act as them")  # a token acts as its holder
    for who in (boss, sec):
        with pytest.raises(Forbidden):
            services.desk.record(who, world.open)


def test_a_system_administrator_creates_accounts_without_roles_and_appoints_only_the_first_security_officer(services: Services) -> None:
    boss = make_user(services, "boss", [Role.ADMIN])
    with pytest.raises(Forbidden):
        services.archive.register_user(boss, username="wang", roles=[Role.ARCHIVIST], password_hash="h")
    services.archive.register_user(boss, username="sec", roles=[Role.SECURITY_OFFICER], password_hash="h")
    with pytest.raises(Forbidden, match="appointed already"):
        services.archive.register_user(boss, username="sec2", roles=[Role.SECURITY_OFFICER], password_hash="h")
    services.archive.register_user(boss, username="wang", password_hash="h", temporary_password=True)
    wang = services.archive.find_user("wang")
    assert wang.roles == set() and wang.clearance is SecurityLevel.PUBLIC and wang.must_change_password


def test_every_change_to_an_account_is_on_the_security_auditors_page_and_only_there(services: Services) -> None:
    boss, sec, shen = actors(services)
    services.archive.register_user(boss, username="wang", password_hash="h")
    services.administration.grant_role(sec, "wang", "archivist", reason="入职")
    services.administration.change_clearance(sec, "wang", SecurityLevel.SECRET, reason="岗位")
    services.administration.disable(boss, "wang", reason="离职")
    services.catalogue.refresh()
    total, entries = services.administration.audit_log(shen)
    done = [(e["actor_id"], e["action"], e["target"]) for e in entries if e["target"] == "wang"]
    assert done == [
        (boss.id, "Disabled", "wang"),
        (sec.id, "ClearanceChanged", "wang"),
        (sec.id, "RoleGranted", "wang"),
        (boss.id, "Registered", "wang"),
    ]
    assert all("password_hash" not in e["details"] for e in entries)
    for who in (boss, sec):
        with pytest.raises(Forbidden):
            services.administration.audit_log(who)
    app = create_app(services)
    browser = Browser(app)
    browser.login("shen")
    page = browser.get("/admin/audit").get_data(as_text=True)
    assert "入职" in page and "离职" in page
    assert browser.get("/records/new").status_code == 403


def test_a_reset_password_opens_only_the_account_page_until_its_holder_replaces_it(services: Services) -> None:
    boss, _sec, _shen = actors(services)
    make_user(services, "wang", [Role.ARCHIVIST])
    services.administration.reset_password(boss, "wang", services.accounts.hash_new_password("a temporary pass phrase"))
    browser = Browser(create_app(services))
    browser.login("wang", "a temporary pass phrase")
    assert browser.get("/browse").headers["Location"].endswith("/account")
    changed = browser.submit(
        "/account",
        "/account",
        {"action": "password", "current": "a temporary pass phrase", "new": "my own longer pass phrase", "repeat": "my own longer pass phrase"},
    )
    assert changed.status_code == 302  # on to the dashboard: the archive opens
    assert browser.get("/browse").status_code == 200


def test_a_new_installation_logs_in_its_first_administrator_who_appoints_the_first_security_officer(settings) -> None:
    result = initialise(settings)
    services = Services(settings)
    try:
        password = result.admin_password_file.read_text().strip()
        browser = Browser(create_app(services))
        assert browser.login("admin", password).status_code == 302
        page = browser.get("/admin/users").get_data(as_text=True)
        assert 'id="first-security-officer"' in page
        made = browser.submit(
            "/admin/users",
            "/admin/users",
            {"action": "add", "username": "sec", "password": "a temporary pass phrase", "first_security_officer": "on"},
        )
        assert made.status_code == 200
        assert services.archive.find_user("sec").roles == {Role.SECURITY_OFFICER}
        assert 'id="first-security-officer"' not in browser.get("/admin/users").get_data(as_text=True)
        refused = archive("user", "grant", "sec", "archivist", "--as", "admin")
        assert refused.code == 1 and "error:" in refused.err
        assert archive("user", "grant", "admin", "archivist", "--as", "sec").code == 1  # held alone
        assert archive("user", "clearance", "sec", "绝密", "--as", "sec").code == 1  # not their own
    finally:
        services.close()


def test_work_roles_given_to_an_administrator_before_the_rule_open_nothing(services: Services) -> None:
    world = build(services)
    boss = make_user(services, "boss", [Role.ADMIN], TOP)
    user = services.archive.find_user("boss")
    user._role_granted(role="archivist", actor="system", reason=None)  # as an event stored before 三员分立 was enforced
    services.archive.save(user)
    acting = services.accounts.actor(boss.id)
    assert acting is not None and acting.roles == frozenset({Role.ADMIN})
    with pytest.raises(Forbidden):
        services.desk.record(acting, world.open)
