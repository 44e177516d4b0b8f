"""schemathesis over the registry's public operations through the gateway: bad input never gives a 500.

Signed in as an admin (every role, every region), each operation gets generated bodies, paths and
queries, valid and not; the answers must be 2xx/4xx in the documented shape, never a server error.
The survey intake (issue 5) is fuzzed by its own tests.
"""

import asyncio
import re
import uuid

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error, status_code_conformance

from services.gateway.routing.table import service_for
from tests.support.system import RunningSystem, auth

OTHERS = re.compile(r"^/api/v1/(surveys|forms|attachments|sync|credit-checks|audit)")


async def test_registry_operations_survive_fuzzing(system: RunningSystem) -> None:
    gateway = system.app("gateway").state.settings
    gateway.rate_limit_user_requests = gateway.rate_limit_anonymous_requests = 1_000_000
    document = (await system.api.http.get("/openapi.json")).json()
    ours = [path for path in document["paths"] if service_for(path) == "registry" and not OTHERS.match(path)]
    assert {"/api/v1/households/{household_id}", "/api/v1/cases", "/api/v1/notices/{notice_id}/close"} <= set(
        ours
    )
    schema = schemathesis.openapi.from_dict(document).include(
        path_regex="^(" + "|".join(re.escape(path) for path in ours) + ")$"
    )
    token = system.admin_token
    exercised: list[str] = []

    def fuzz() -> None:
        for result in schema.get_all_operations():
            operation = result.ok()  # type: ignore[union-attr]  # an invalid document fails the test here
            exercised.append(f"{operation.method.upper()} {operation.path}")

            @hypothesis.given(case=operation.as_strategy())
            @hypothesis.settings(
                max_examples=15,
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def run(case: schemathesis.Case) -> None:
                case.call_and_validate(
                    base_url=system.gateway_url,
                    headers={**auth(token), "Idempotency-Key": uuid.uuid4().hex},
                    checks=[not_a_server_error, status_code_conformance],
                    timeout=30,
                )

            run()

    await asyncio.to_thread(fuzz)
    assert len(exercised) >= 40
