"""schemathesis against the gateway's OpenAPI with a valid admin token: no 500, responses match the schema."""

import asyncio
import re

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from services.gateway.routing.table import service_for
from tests.gateway.conftest import Gateway
from tests.support.system import auth

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
# Logging out would end the very session the fuzzer signs with.
SKIPPED = {("POST", "/api/v1/auth/logout")}


async def test_the_gateways_own_operations_survive_fuzzing(gateway: Gateway) -> None:
    settings = gateway.settings
    settings.rate_limit_user_requests = settings.rate_limit_sign_in_requests = 1_000_000
    settings.rate_limit_anonymous_requests = 1_000_000
    document = (await gateway.http.get("/openapi.json")).json()
    own = [path for path in document["paths"] if service_for(path) is None]
    assert {"/api/v1/auth/login", "/api/v1/users/{user_id}", "/api/v1/clients", "/api/v1/keys/rotate"} <= set(
        own
    )
    schema = schemathesis.openapi.from_dict(document).include(
        path_regex="^(" + "|".join(re.escape(path) for path in own) + ")$"
    )
    headers = auth(gateway.system.admin_token)
    base_url = gateway.system.gateway_url
    exercised: list[str] = []

    def fuzz() -> None:
        for result in schema.get_all_operations():
            operation = result.ok()  # type: ignore[union-attr]  # an invalid document fails the test here
            if (operation.method.upper(), operation.path) in SKIPPED:
                continue
            exercised.append(f"{operation.method.upper()} {operation.path}")

            @hypothesis.given(case=operation.as_strategy())
            @hypothesis.settings(
                max_examples=20,
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def run(case: schemathesis.Case) -> None:
                case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=30)

            run()

    # The calls are synchronous; the gateway serves them from this test's event loop meanwhile.
    await asyncio.to_thread(fuzz)
    assert len(exercised) >= 20
