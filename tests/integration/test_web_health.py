"""The service's public face before the full UI: a health page and the public ledger endpoints (DESIGN §4)."""

from __future__ import annotations

import base64
import hashlib

import pytest

from application.bootstrap import Services
from web.app import create_app

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def client(services: Services):  # type: ignore[no-untyped-def]
    return create_app(services).test_client()


def test_the_checkpoint_endpoint_serves_the_latest_signed_tree_head(services: Services, client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/ledger/checkpoint").status_code == 404
    head = services.ledger.checkpoint()
    response = client.get("/api/v1/ledger/checkpoint")
    assert response.status_code == 200 and response.json == head
    keys = client.get("/api/v1/ledger/keys").json["keys"]
    public = base64.b64decode(keys[0]["public_key"])
    assert hashlib.sha256(public).hexdigest() == head["log_id"]


def test_the_health_page_shows_the_checkpoint_and_sends_security_headers(services: Services, client) -> None:  # type: ignore[no-untyped-def]
    head = services.ledger.checkpoint()
    assert client.get("/").status_code == 302  # everything else needs a login
    page = client.get("/status")
    assert page.status_code == 200 and head["root"] in page.get_data(as_text=True)
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"


def test_unknown_paths_and_methods_answer_json_errors(client) -> None:  # type: ignore[no-untyped-def]
    missing = client.get("/api/v1/no/such/thing")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    page = client.get("/no/such/page")
    assert page.status_code == 404 and "<html" in page.get_data(as_text=True)
    wrong = client.post("/api/v1/ledger/checkpoint")
    assert wrong.status_code == 405 and wrong.json["error"]["code"] == "method_not_allowed"
