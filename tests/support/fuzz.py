"""schemathesis over one service's public operations through the gateway, signed in as an admin."""

import asyncio
import re
import uuid

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error, status_code_conformance

from services.gateway.routing.table import service_for
from tests.support.system import RunningSystem, auth


async def fuzz_service(
    system: RunningSystem, service: str, *, skip: str = "^$", examples: int = 15
) -> list[str]:
    """Generated bodies, paths and queries for every operation: 2xx/4xx as documented, never a 500.

    Returns the operations exercised; `skip` is a regex of paths fuzzed elsewhere.
    """
    gateway = system.app("gateway").state.settings
    gateway.rate_limit_user_requests = gateway.rate_limit_anonymous_requests = 1_000_000
    document = (await system.api.http.get("/openapi.json")).json()
    ours = [path for path in document["paths"] if service_for(path) == service and not re.match(skip, path)]
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
                max_examples=examples,
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
    return exercised
