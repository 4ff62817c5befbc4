"""Findings 5, 6, 7 and 13: an open redirect after login; unknown names costing two Argon2id hashes to a known
name's one; a success resetting the address's failure count (and five failures locking every account behind one
address); and a session cookie without Secure over HTTPS."""

from __future__ import annotations

import dataclasses

import pytest

from application.accounts import LoginRefused
from application.bootstrap import Services
from domain.activity import ActivityLog
from domain.users import Role
from tests.integration.webclient import PASSWORD, Browser, csrf, make_user
from web.app import create_app
from web.auth import safe_target

PROBES = [
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "\t//evil.example",
    " //evil.example",
    "/\n/evil.example",
    "///evil.example",
    "https://evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    "http://127.0.0.1@evil.example/",
    "evil.example",
    "\x00//evil.example",
]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_after_a_login_the_browser_goes_only_to_a_path_of_this_site(services: Services) -> None:
    make_user(services, "wang", [Role.ARCHIVIST])
    app = create_app(services)
    for probe in PROBES:
        assert safe_target(probe) is None, probe
        browser = Browser(app)
        token = csrf(browser.get("/login").get_data(as_text=True))
        answer = browser.client.post("/login", query_string={"next": probe}, data={"username": "wang", "password": PASSWORD, "csrf_token": token})
        assert answer.status_code == 302 and answer.headers["Location"] == "/", (probe, answer.headers["Location"])
    assert safe_target("/records/1?x=%2F%2Fa#top") == "/records/1?x=%2F%2Fa#top"
    browser = Browser(app)
    assert browser.get("/language/en", headers={"Referer": "http://evil.example/x"}).headers["Location"] == "/"


class CountingHasher:
    def __init__(self, real) -> None:  # type: ignore[no-untyped-def]
        self.real, self.hashes, self.verifies = real, 0, 0

    def hash(self, password: str) -> str:
        self.hashes += 1
        return self.real.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        self.verifies += 1
        return self.real.verify(password_hash, password)


def test_an_unknown_name_costs_what_a_known_one_does_one_verification_and_one_denial(services: Services) -> None:
    make_user(services, "wang", [Role.ARCHIVIST])
    accounts = services.accounts
    counting = accounts.hasher = CountingHasher(accounts.hasher)
    topic = f"{ActivityLog.AccessDenied.__module__}:{ActivityLog.AccessDenied.__qualname__}"

    def denials() -> int:
        return len(services.archive.recorder.select_notifications(start=1, limit=10_000, topics=[topic]))

    with pytest.raises(LoginRefused):
        accounts.login("nobody.at.all", "some long guess phrase", "10.0.0.1")  # the dummy hash is made here, once
    costs = []
    for name in ("wang", "nobody.at.all", "wang", "someone.else"):
        hashes, verifies, written = counting.hashes, counting.verifies, denials()
        with pytest.raises(LoginRefused) as refused:
            accounts.login(name, "some long guess phrase", f"10.0.0.{len(costs) + 2}")
        costs.append((counting.hashes - hashes, counting.verifies - verifies, denials() - written, str(refused.value)))
    assert costs == [(0, 1, 1, "wrong user name or password")] * 4


def test_failures_count_per_account_and_per_address_and_a_success_clears_only_its_account(services: Services) -> None:
    make_user(services, "mine", [Role.READER])
    for n in range(8):
        make_user(services, f"victim{n}", [Role.READER])
    accounts = services.accounts
    address_limit = services.settings.login_address_limit
    tried = 0
    for round_ in range(address_limit):
        try:
            accounts.login(f"sprayed.name.{round_}", "a wrong long password", "10.9.9.9")  # one guess at each of many
        except LoginRefused as refused:
            if refused.retry_after:
                break
        tried += 1
        if round_ % 4 == 3:
            accounts.login("mine", PASSWORD, "10.9.9.9")  # my own account, from the same address
    assert tried == address_limit  # the successes bought no more guesses: the address waits now
    with pytest.raises(LoginRefused) as waiting:
        accounts.login("victim7", "a wrong long password", "10.9.9.9")
    assert waiting.value.retry_after > 0
    assert accounts.login("victim7", PASSWORD, "10.1.1.1").username == "victim7"  # another address is not held up
    for _ in range(5):
        with pytest.raises(LoginRefused):
            accounts.login("victim6", "a wrong long password", f"10.2.2.{_}")
    with pytest.raises(LoginRefused) as locked:
        accounts.login("victim6", PASSWORD, "10.3.3.3")  # the account waits, from any address
    assert locked.value.retry_after > 0
    assert accounts.login("victim5", PASSWORD, "10.2.2.1").username == "victim5"  # five failures lock one account


def _log_in(app, headers: dict[str, str], base_url: str = "http://localhost"):  # type: ignore[no-untyped-def]
    browser = Browser(app)
    token = csrf(browser.client.get("/login", headers=headers, base_url=base_url).get_data(as_text=True))
    form = {"username": "wang", "password": PASSWORD, "csrf_token": token}
    referred = {**headers, "Referer": f"{base_url}/login"}  # over HTTPS Flask-WTF also checks the form came from here
    return browser.client.post("/login", data=form, headers=referred, base_url=base_url)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_client_address_comes_from_trusted_proxies_only_and_the_cookie_is_secure_over_https(services: Services, monkeypatch) -> None:
    make_user(services, "wang", [Role.ARCHIVIST])
    seen: list[str] = []

    def spy(accounts):  # type: ignore[no-untyped-def]
        original = accounts.login
        monkeypatch.setattr(accounts, "login", lambda name, password, client: seen.append(client) or original(name, password, client))

    spy(services.accounts)
    forged = {"X-Forwarded-For": "1.2.3.4", "X-Forwarded-Proto": "https"}
    answer = _log_in(create_app(services), forged)
    assert seen[-1] == "127.0.0.1"  # no proxy is trusted: the headers are ignored, anyone can send them
    assert "Secure" not in answer.headers["Set-Cookie"] and "Strict-Transport-Security" not in answer.headers
    behind_tls = Services(dataclasses.replace(services.settings, trusted_proxies=1))
    try:
        spy(behind_tls.accounts)
        app = create_app(behind_tls)
        logged = _log_in(app, forged, base_url="https://localhost")  # the proxy speaks TLS to the browser
        assert logged.status_code == 302, logged.get_data(as_text=True)[:500]
        assert seen[-1] == "1.2.3.4"
        said = Browser(app).client.get("/login", headers=forged)  # plain HTTP from the proxy, which says https
        assert "Secure" in said.headers["Set-Cookie"] and "Strict-Transport-Security" in said.headers
    finally:
        behind_tls.close()
    direct = Browser(create_app(services)).client.get("/login", base_url="https://localhost")  # TLS to gunicorn itself
    assert "Secure" in direct.headers["Set-Cookie"]
