"""Paid totals by program and month (internal, for the registry's monthly report): who may ask, what range."""

import httpx
import pytest

from services.subsidy import contract
from tests.support.system import RunningSystem, auth


async def test_paid_by_program_is_for_services_and_checks_its_months(system: RunningSystem) -> None:
    client = system.app("registry").state.subsidy
    assert await client.paid_by_program("522627000000", "2025-12", "2026-11") == []
    for first, last in (("2026-11", "2026-10"), ("2024-11", "2026-11")):
        with pytest.raises(httpx.HTTPStatusError) as refused:
            await client.paid_by_program("522627000000", first, last)
        assert refused.value.response.status_code == 422

    # A person's token, even an admin's, does not open the internal endpoint.
    transport = httpx.ASGITransport(app=system.app("subsidy"))
    async with httpx.AsyncClient(transport=transport, base_url="http://subsidy") as direct:
        r = await direct.get(
            contract.PAID_BY_PROGRAM_PATH,
            params={"region_code": "522627000000", "from_month": "2026-01", "to_month": "2026-11"},
            headers=auth(system.admin_token),
        )
    assert (r.status_code, r.json()["error"]) == (403, "forbidden")
