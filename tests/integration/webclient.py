"""A logged-in browser for the Flask test client: keeps cookies, reads CSRF tokens off the pages like a browser."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from application.authorisation import Actor
from application.bootstrap import Services
from domain.users import Role
from domain.values import SecurityLevel

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(page: str) -> str:
    found = _CSRF.search(page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def make_user(services: Services, name: str, roles: list[Role], clearance: SecurityLevel = SecurityLevel.INTERNAL) -> Actor:
    from application.authorisation import SYSTEM

    user_id = services.archive.register_user(
        SYSTEM, username=name, roles=roles, clearance=clearance, password_hash=services.accounts.hash_new_password(PASSWORD)
    )
    return Actor(str(user_id), name, frozenset(roles), clearance)


class Browser:
    def __init__(self, app: Flask) -> None:
        self.client: FlaskClient = app.test_client()

    def login(self, username: str, password: str = PASSWORD) -> Any:
        token = csrf(self.client.get("/login").get_data(as_text=True))
        return self.client.post("/login", data={"username": username, "password": password, "csrf_token": token})

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)

    def submit(self, page_path: str, action: str, data: dict[str, Any], **kwargs: Any) -> Any:
        """Post a form the way a browser would: with the CSRF token of the page it is on."""
        token = csrf(self.client.get(page_path).get_data(as_text=True))
        return self.client.post(action, data={**data, "csrf_token": token}, **kwargs)


class Api:
    """A caller with a bearer token, as a scanner station or another system would be."""

    def __init__(self, app: Flask, token: str) -> None:
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **query: Any) -> Any:
        return self.client.get(f"/api/v1{path}", query_string=query, headers=self.headers)

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(f"/api/v1{path}", json=body if body is not None else {}, headers=self.headers)


def caller(services: Services, app: Flask, name: str, roles: list[Role], clearance: SecurityLevel) -> Api:
    """A user with these roles and a token of theirs (issued by the local operator)."""
    from application.authorisation import SYSTEM

    make_user(services, name, roles, clearance)
    return Api(app, services.accounts.issue_token(SYSTEM, name, "api test")[1])
