"""Dynamic management (动态管理): exit with two notices and an announcement, relapse, revocation."""

import datetime as dt
from typing import Any

from tests.registry.support import (
    POOR_INCOME,
    close_notice,
    county,
    do_step,
    get_case,
    make_staff,
    open_case,
    post_notice,
    register,
    resurvey_better_off,
    submit_survey,
)
from tests.support.system import RunningSystem, eventually

START = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC)


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

    refused = await open_case(system, staff.village_officer, "exit", household_id)
    assert refused.status_code == 409
    assert refused.json()["error"] == "not_ready_to_exit"

    # A new survey: income well above the line, 两不愁三保障 met; the eligibility service finds it ready.
    await resurvey_better_off(system, staff, household, household_id)

    async def opened() -> Any:
        r = await open_case(system, staff.village_officer, "exit", household_id, note="收入稳定超过标准")
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
    village_officer_cannot_confirm = await open_case(system, staff.county_approver, "relapse", household_id)
    assert village_officer_cannot_confirm.status_code == 403
    relapse = await open_case(system, staff.cadre, "relapse", household_id, note="户主突发重病,入户核实")
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

    no_reason = await open_case(system, staff.township_reviewer, "revocation", household_id)
    assert no_reason.status_code == 422
    reasons = ["家庭成员在县城有商品房", "子女为财政供养人员"]
    case = await open_case(system, staff.township_reviewer, "revocation", household_id, reasons=reasons)
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
