"""What the records and report tests share: a county whose notices take no days, and its households."""

from typing import Any

from tests.registry.support import (
    COUNTY,
    POOR_INCOME,
    Staff,
    close_notice,
    do_step,
    get_case,
    idempotent,
    open_case,
    post_notice,
    register,
    resurvey_better_off,
    submit_survey,
)
from tests.support.system import RunningSystem, eventually

NOTICE_KEYS = (
    "identification_village_notice_days",
    "identification_township_notice_days",
    "identification_county_notice_days",
    "exit_village_notice_days",
    "exit_township_notice_days",
    "revocation_notice_days",
)


async def notices_take_no_days(system: RunningSystem, county_approver: str) -> None:
    """The county sets every notice period to 0 days, so that a household is registered in one sitting."""
    for key in NOTICE_KEYS:
        r = await system.api.http.post(
            "/api/v1/registry/parameters",
            json={
                "key": key,
                "region_code": COUNTY,
                "effective_from": "2014-01-01",
                "value": 0,
                "source": "测试:公示期不计天数",
            },
            headers=idempotent(county_approver),
        )
        assert r.status_code == 201, r.text


async def registered(system: RunningSystem, staff: Staff, households: list[Any]) -> list[str]:
    """Survey these households of the staff's village and take them through to registration."""
    ids = [
        (await submit_survey(system.api.http, staff.cadre, h, income=POOR_INCOME))["household_id"]
        for h in households
    ]
    await register(system, staff, ids)
    return ids


async def exit_household(system: RunningSystem, staff: Staff, household: Any, household_id: str) -> None:
    """A new survey finds the household well above the line; two notices and the announcement follow."""
    api = system.api
    await resurvey_better_off(system, staff, household, household_id)

    async def opened() -> Any:
        r = await open_case(system, staff.village_officer, "exit", household_id, note="收入稳定超过标准")
        return r if r.status_code == 201 else None

    case = (await eventually(opened)).json()
    for role, step, acting in (
        ("village_officer", "village_notice", "township_reviewer"),
        ("township_reviewer", "township_notice", "county_approver"),
    ):
        notice = await post_notice(api.http, getattr(staff, role), staff.village, "exit", step)
        await close_notice(system, getattr(staff, role), notice)
        case = await do_step(
            api.http, getattr(staff, acting), await get_case(api.http, staff.cadre, case["id"])
        )
    announcement = await post_notice(api.http, staff.county_approver, staff.village, "exit", "announcement")
    await close_notice(system, staff.county_approver, announcement)


async def revoke_household(system: RunningSystem, staff: Staff, household_id: str) -> None:
    """Re-checked and found ineligible (清退): notice, township review, county confirmation."""
    api = system.api
    case = await open_case(
        system, staff.township_reviewer, "revocation", household_id, reasons=["家有商品房"]
    )
    assert case.status_code == 201, case.text
    notice = await post_notice(api.http, staff.village_officer, staff.village, "revocation", "village_notice")
    await close_notice(system, staff.village_officer, notice)
    done = await do_step(
        api.http, staff.township_reviewer, await get_case(api.http, staff.cadre, case.json()["id"])
    )
    done = await do_step(api.http, staff.county_approver, done, note="经核实不符合条件,予以清退")
    assert done["status"] == "completed"
