"""Findings 14 and 15: passwords of ten of anything were accepted (`aaaaaaaaaa`, `1234567890`, `password12`, ten
spaces, ten NUL bytes); re-enabling a disabled user revived their sessions and tokens, and tokens never expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from application.authorisation import SYSTEM
from application.bootstrap import Services
from domain.errors import InvalidValue
from domain.tokens import ApiToken
from domain.users import Role
from tests.integration.webclient import Browser, make_user
from web.app import create_app

REFUSED = {
    "aaaaaaaaaa": "at least 15",
    "1234567890": "at least 15",
    "password12": "at least 15",
    " " * 10: "at least 15",
    "\x00" * 10: "at least 15",
    "aaaaaaaaaaaaaaaaaaaa": "too easy to guess",
    "12345678901234567890": "too easy to guess",
    "passwordpassword1234": "too easy to guess",
    " " * 20: "too easy to guess",
    "\x00" * 20: "no control characters",
    "correct\x07horse battery staple": "no control characters",
    "wang.archivist rules 2026": "user name",
    "qwertyuiopasdfghjkl": "too easy to guess",
}


def test_a_password_is_long_uncommon_and_free_of_control_characters(services: Services) -> None:
    for password, why in REFUSED.items():
        with pytest.raises(InvalidValue, match=why):
            services.accounts.hash_new_password(password, "wang.archivist")
    for good in ("correct horse battery", "档案馆门前的老槐树下住着一只黑猫", "ＦｕｌｌＷｉｄｔｈ ｐａｓｓ ｐｈｒａｓｅ"):
        services.accounts.hash_new_password(good, "wang.archivist")


def test_a_password_is_compared_in_one_unicode_form(services: Services) -> None:
    user_id = services.archive.register_user(
        SYSTEM, username="li", roles=[Role.READER], password_hash=services.accounts.hash_new_password("ＦｕｌｌＷｉｄｔｈ ｐａｓｓ ｐｈｒａｓｅ")
    )
    assert services.accounts.login("li", "FullWidth pass phrase", "127.0.0.1").id == str(user_id)  # NFKC: the same


def test_disabling_ends_sessions_and_tokens_for_good_and_enabling_revives_neither(services: Services) -> None:
    boss = make_user(services, "boss", [Role.ADMIN])
    make_user(services, "wang", [Role.ARCHIVIST])
    _token_id, token = services.accounts.issue_token(SYSTEM, "wang", "scanner")
    app = create_app(services)
    browser = Browser(app)
    browser.login("wang")
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert browser.get("/browse").status_code == 200 and api.get("/api/v1/queues", headers=bearer).status_code == 200
    services.administration.disable(boss, "wang", reason="离职")
    services.administration.enable(boss, "wang")
    assert browser.get("/browse").status_code == 302  # the old session is gone, not merely paused
    assert api.get("/api/v1/queues", headers=bearer).status_code == 401
    assert services.accounts.tokens(SYSTEM, "wang") == []  # revoked, as events
    assert browser.login("wang").status_code == 302 and browser.get("/browse").status_code == 200  # a new login works


def test_a_token_expires_after_the_days_it_was_given_and_says_so(services: Services, monkeypatch) -> None:
    make_user(services, "wang", [Role.ARCHIVIST])
    _token_id, token = services.accounts.issue_token(SYSTEM, "wang", "one week", days=7)
    (info,) = services.accounts.tokens(SYSTEM, "wang")
    assert datetime.fromisoformat(info.expires_at) - datetime.now(UTC) < timedelta(days=7, seconds=5) and not info.expired
    api = create_app(services).test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/queues", headers=bearer).status_code == 200
    later = datetime.now(UTC) + timedelta(days=8)
    monkeypatch.setattr(ApiToken, "expired", lambda self, now: later >= datetime.fromisoformat(self.expires_at))
    assert api.get("/api/v1/queues", headers=bearer).status_code == 401
    with pytest.raises(InvalidValue, match="1 to 365 days"):
        services.accounts.issue_token(SYSTEM, "wang", "forever", days=10_000)
    browser = Browser(create_app(services))
    browser.login("wang")
    page = browser.get("/account").get_data(as_text=True)
    assert "one week" in page and 'id="token-days"' in page and "UTC" in page
