"""Finding 16, proved on every operation: Schemathesis sends requests that break the OpenAPI document (numbers out of
range or of the wrong type, bodies of the wrong shape, missing fields) and none of them gets a server error."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from application.authorisation import SYSTEM
from domain.users import Role
from domain.values import SecurityLevel
from tests.integration.webclient import make_user
from web.app import create_app

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_no_request_that_breaks_the_schema_gets_a_server_error(services) -> None:  # type: ignore[no-untyped-def]
    make_user(services, "api.user", [Role.ARCHIVIST, Role.AUDITOR, Role.COMPLIANCE], SecurityLevel.SECRET)
    services.archive.define_scheme(SYSTEM, fonds="Z109", fonds_name="示例市档案馆")
    services.ledger.checkpoint()
    token = services.accounts.issue_token(SYSTEM, "api.user", "schemathesis")[1]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", create_app(services))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 33
    broken = 0
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
        @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def exercise(case):  # type: ignore[no-untyped-def]
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            assert response.status_code < 500, (case.method, case.formatted_path, case.query, case.body, response.text[:300])

        try:
            exercise()
        except Unsatisfiable:  # an operation with no parameter and no body has nothing to break
            continue
        broken += 1
    assert broken >= 25, broken
