"""Dynamic management (动态管理): exit with two notices and an announcement, relapse, revocation."""

import datetime as dt
from typing import Any

from tests.registry.support import (
    POOR_INCOME,
    close_notice,
    county,
    do_step,
    get_case,
    idempotent,
    make_staff,
    post_notice,
    register,
    submit_survey,
)
from tests.support.system import RunningSystem, eventually

START = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC)

BETTER_OFF = {
    "wages_fen": 2_400_000,
    "production_net_fen": 600_000,
    "property_fen": 0,
    "transfer_fen": 0,
    "production_cost_fen": 100_000,
}
SECURE = {
    "food_clothing_secure": True,
    "education_secured": True,
    "medical_secured": True,
    "housing_secured": True,
}


async def _open(system: RunningSystem, token: str, kind: str, household_id: str, **extra: Any) -> Any:
    return await system.api.http.post(
        "/api/v1/cases", json={"kind": kind, "household_id": household_id, **extra}, headers=idempotent(token)
    )


async def test_exit_needs_eligibility_then_two_notices_and_an_announcement_then_relapse(
    system: RunningSystem,
) -> None:
    api = system.api
    system.app("registry").state.clock.freeze(START)
    synthetic = county(61)
    village = synthetic.village_codes[0]
    staff = await make_staff(system, village)
    household = next(synthetic.households(1, village))
    household_id = (await submit_survey(api.http, staff.cadre, household, income=POOR_INCOME))["household_id"]
    await register(system, staff, [household_id])

    refused = await _open(system, staff.village_officer, "exit", household_id)
    assert refused.status_code == 409
    assert refused.json()["error"] == "not_ready_to_exit"

    # A new survey: income well above the line, 两不愁三保障 met; the eligibility service finds it ready.
    current = (
        await api.http.get(f"/api/v1/households/{household_id}", headers=staff.headers("cadre"))
    ).json()
    body = household.survey()
    for member in body["members"]:
        member.update(medical_insurance=True, dropout=False)
    await submit_survey(
        api.http,
        staff.cadre,
        household,
        household_id=household_id,
        base_version=current["version"],
        income=BETTER_OFF,
        members=body["members"],
        housing={**household.housing, "safety_grade": "A", "drinking_water_safe": True},
        profile=SECURE,
    )

    async def opened() -> Any:
        r = await _open(system, staff.village_officer, "exit", household_id, note="收入稳定超过标准")
        return r if r.status_code == 201 else None

    case = (await eventually(opened)).json()
    assert case["step"] == "village_notice"

    notice = await post_notice(api.http, staff.village_officer, village, "exit", "village_notice")
    await close_notice(system, staff.village_officer, notice)
    case = await do_step(api.http, staff.township_reviewer, await get_case(api.http, staff.cadre, case["id"]))
    notice = await post_notice(api.http, staff.township_reviewer, village, "exit", "township_notice")
    await close_notice(system, staff.township_reviewer, notice)
    case = await do_step(api.http, staff.county_approver, await get_case(api.http, staff.cadre, case["id"]))
    announcement = await post_notice(api.http, staff.county_approver, village, "exit", "announcement")
    assert announcement["online"] is True
    assert announcement["period_days"] == 0
    closed_on = system.app("registry").state.clock.today()
    await close_notice(system, staff.county_approver, announcement)

    exited = (await api.http.get(f"/api/v1/households/{household_id}", headers=staff.headers("cadre"))).json()
    assert exited["status_label"] == "已脱贫"
    assert exited["exit_year"] == closed_on.year
    assert exited["exited_on"] == closed_on.isoformat()
    assert exited["grace_ends_on"] == closed_on.replace(year=closed_on.year + 2).isoformat()

    # Relapse (返贫): a cadre's visit, a notice, township review, county confirmation.
    village_officer_cannot_confirm = await _open(system, staff.county_approver, "relapse", household_id)
    assert village_officer_cannot_confirm.status_code == 403
    relapse = await _open(system, staff.cadre, "relapse", household_id, note="户主突发重病,入户核实")
    assert relapse.status_code == 201, relapse.text
    notice = await post_notice(api.http, staff.village_officer, village, "relapse", "village_notice")
    await close_notice(system, staff.village_officer, notice)
    case = await do_step(
        api.http, staff.township_reviewer, await get_case(api.http, staff.cadre, relapse.json()["id"])
    )
    case = await do_step(api.http, staff.county_approver, case)
    assert case["status"] == "completed"
    back = (await api.http.get(f"/api/v1/households/{household_id}", headers=staff.headers("cadre"))).json()
    assert back["status"] == "registered"
    assert back["exit_year"] is None
    history = (
        await api.http.get(
            f"/api/v1/households/{household_id}/status-history", headers=staff.headers("cadre")
        )
    ).json()
    assert [h["to_status"] for h in history] == ["registered", "exited", "registered"]


async def test_revocation_keeps_its_reasons(system: RunningSystem) -> None:
    api = system.api
    system.app("registry").state.clock.freeze(START)
    synthetic = county(62)
    village = synthetic.village_codes[1]
    staff = await make_staff(system, village)
    household_id = (
        await submit_survey(api.http, staff.cadre, next(synthetic.households(1, village)), income=POOR_INCOME)
    )["household_id"]
    await register(system, staff, [household_id])

    no_reason = await _open(system, staff.township_reviewer, "revocation", household_id)
    assert no_reason.status_code == 422
    reasons = ["家庭成员在县城有商品房", "子女为财政供养人员"]
    case = await _open(system, staff.township_reviewer, "revocation", household_id, reasons=reasons)
    assert case.status_code == 201, case.text
    notice = await post_notice(api.http, staff.village_officer, village, "revocation", "village_notice")
    await close_notice(system, staff.village_officer, notice)
    done = await do_step(
        api.http, staff.township_reviewer, await get_case(api.http, staff.cadre, case.json()["id"])
    )
    done = await do_step(api.http, staff.county_approver, done, note="经核实不符合条件,予以清退")
    assert done["status"] == "completed"
    assert done["details"]["reasons"] == reasons
    revoked = (
        await api.http.get(f"/api/v1/households/{household_id}", headers=staff.headers("cadre"))
    ).json()
    assert (revoked["status_label"], revoked["category"]) == ("已清退", "not_poor")
