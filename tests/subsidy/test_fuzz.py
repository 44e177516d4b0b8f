"""schemathesis over the subsidy service's public operations through the gateway: never a 500.

Bank callbacks are signed (HMAC) and have their own tests.
"""

from tests.support.fuzz import fuzz_service
from tests.support.system import RunningSystem


async def test_subsidy_operations_survive_fuzzing(system: RunningSystem) -> None:
    exercised = await fuzz_service(system, "subsidy", skip=r"^/api/v1/(bank|audit)/")
    assert {"POST /api/v1/payments", "POST /api/v1/programs"} <= set(exercised)
