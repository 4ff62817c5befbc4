"""Schemathesis against the OpenAPI document: generated requests to every operation never get a server error, and
every response conforms to the document (status codes and the JSON error shape)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from application.authorisation import SYSTEM
from domain.users import Role
from domain.values import SecurityLevel
from tests.integration.webclient import make_user
from web.app import create_app

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def token(services) -> str:  # type: ignore[no-untyped-def]
    # Archivist, auditor and compliance: every operation is reachable (logs, history, ledger), not just refused.
    make_user(services, "api.user", [Role.ARCHIVIST, Role.AUDITOR, Role.COMPLIANCE], SecurityLevel.SECRET)
    services.archive.define_scheme(SYSTEM, fonds="Z109", fonds_name="示例市档案馆")
    services.ledger.checkpoint()
    return services.accounts.issue_token(SYSTEM, "api.user", "schemathesis")[1]


def test_no_generated_request_gets_a_server_error(services, token) -> None:  # type: ignore[no-untyped-def]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", create_app(services))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 33

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def exercise(case):  # type: ignore[no-untyped-def]
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])
            # ignored_auth re-sends without our token and expects a refusal: the public ledger endpoints rightly answer.
            # positive_data_acceptance expects every schema-valid body to succeed: the archive's rules (record
            # states, known categories, existing schemes) answer 422 by design, with a message.
            case.validate_response(response, excluded_checks=[ignored_auth, positive_data_acceptance])

        exercise()
