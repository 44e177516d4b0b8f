"""schemathesis over the eligibility service's public operations through the gateway: never a 500."""

from tests.support.fuzz import fuzz_service
from tests.support.system import RunningSystem


async def test_eligibility_operations_survive_fuzzing(system: RunningSystem) -> None:
    exercised = await fuzz_service(system, "eligibility", skip=r"^/api/v1/audit/")
    assert {"POST /api/v1/policies", "GET /api/v1/assessments/households/{household_id}/latest"} <= set(
        exercised
    )
