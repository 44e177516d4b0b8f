"""Household project applications (seed 002 篇1): review, approval, notice, 80/20, acceptance, deadlines."""

import asyncio
import datetime as dt
import uuid
from typing import Any

import pytest

from tests.subsidy.helpers import COUNTY, County
from tests.support.system import RunningSystem

DOCUMENTS = ["application_form", "project_design", "partner_agreement"]
D = dt.date.today() - dt.timedelta(days=60)


def day(offset: int) -> str:
    return (D + dt.timedelta(days=offset)).isoformat()


@pytest.fixture
async def county(system: RunningSystem) -> County:
    await system.app("subsidy").state.dispatcher.stop()  # money is followed up to the bank, not through it
    county = await County(system).staff()
    await county.fund(
        "fund-projects", 100_000_000, allowed=["household-income-project", "housing-construction"]
    )
    return county


async def apply(
    county: County, program: dict[str, Any], household: uuid.UUID, amount: int, **extra: Any
) -> Any:
    return await county.http.post(
        "/api/v1/applications",
        headers={**county.as_("village"), "Idempotency-Key": f"app-{uuid.uuid4()}"},
        json={
            "program_id": program["id"],
            "household_id": str(household),
            "project_name": "养殖黑山羊20只",
            "partner": "天柱县某合作社",
            "requested_fen": amount,
            "documents": DOCUMENTS,
            **extra,
        },
    )


async def step(county: County, who: str, application_id: str, name: str, body: dict[str, Any]) -> Any:
    return await county.http.post(
        f"/api/v1/applications/{application_id}/{name}", headers=county.as_(who), json=body
    )


def review(representatives: int, in_favour: int) -> dict[str, Any]:
    return {
        "chair_role": "first_secretary",
        "chair_name": "张书记",
        "representatives": representatives,
        "in_favour": in_favour,
        "held_on": day(0),
    }


async def approved(
    county: County, program: dict[str, Any], household: uuid.UUID, amount: int, **extra: Any
) -> str:
    application = (await apply(county, program, household, amount, **extra)).json()["id"]
    assert (await step(county, "village", application, "village-review", review(9, 6))).status_code == 200
    decision = await step(
        county, "township", application, "township-decision", {"approve": True, "decided_on": day(0)}
    )
    assert decision.status_code == 200, decision.text
    return application


async def test_a_project_from_application_to_the_last_20_percent(county: County) -> None:
    program = await county.program("household-income-project", "staged_project", 10_000_000, "fund-projects")
    household = await county.known(extreme=True)
    missing = await apply(county, program, household, 3_000_000, documents=["application_form"])
    assert missing.status_code == 422
    assert missing.json()["error"] == "documents_missing"
    over = await apply(county, program, household, 3_000_001)
    assert over.status_code == 409  # 每户每年不超过3万元
    application = (await apply(county, program, household, 3_000_000)).json()["id"]

    for bad in (review(8, 8), review(16, 16), review(10, 10)):
        refused = await step(county, "village", application, "village-review", bad)
        assert refused.status_code == 422, bad  # 9–15 representatives, an odd number
    assert (await step(county, "cadre", application, "village-review", review(9, 6))).status_code == 403
    passed = await step(county, "village", application, "village-review", review(9, 6))
    assert passed.json()["status"] == "village_passed"  # 6 of 9 is two thirds: 三分之二以上 includes it

    early = await step(county, "township", application, "start", {"on": day(0)})
    assert early.status_code == 409
    decision = await step(
        county, "township", application, "township-decision", {"approve": True, "decided_on": day(0)}
    )
    assert decision.json()["status"] == "approved"
    assert decision.json()["notice_ends_on"] == day(2)
    state = await county.program_state(program["id"])
    assert (state["remaining_fen"], state["reserved_fen"]) == (7_000_000, 3_000_000)

    in_notice = await step(county, "village", application, "start", {"on": day(2)})
    assert in_notice.status_code == 409
    assert in_notice.json()["error"] == "notice_not_over"
    started = await step(county, "village", application, "start", {"on": day(3)})
    assert started.status_code == 200, started.text
    assert [
        (p["amount_fen"], p["entitlement_key"].rsplit(":", 1)[1]) for p in started.json()["payments"]
    ] == [(2_400_000, "advance")]

    assert (await step(county, "village", application, "acceptance-request", {"on": day(10)})).json()[
        "village_check_due"
    ] == day(25)
    check = {"on": day(12), "passed": True, "checker": "村监委会"}
    assert (await step(county, "village", application, "village-check", check)).json()[
        "township_check_due"
    ] == day(27)
    assert (
        await step(county, "township", application, "township-check", {**check, "on": day(20)})
    ).status_code == 200
    assert (
        await step(county, "township", application, "county-check", {**check, "on": day(25)})
    ).status_code == 403
    accepted = await step(county, "approver", application, "county-check", {**check, "on": day(25)})
    assert accepted.json()["status"] == "accepted"
    assert sorted(p["amount_fen"] for p in accepted.json()["payments"]) == [600_000, 2_400_000]
    state = await county.program_state(program["id"])
    assert (state["reserved_fen"], state["committed_fen"]) == (0, 3_000_000)


async def test_review_short_of_two_thirds_fails(county: County) -> None:
    program = await county.program("household-income-project", "staged_project", 10_000_000, "fund-projects")
    for representatives, in_favour, status in (
        (9, 5, "village_rejected"),
        (11, 7, "village_rejected"),
        (11, 8, "village_passed"),
        (15, 10, "village_passed"),
    ):
        application = (await apply(county, program, await county.known(extreme=True), 100_000)).json()["id"]
        result = await step(
            county, "village", application, "village-review", review(representatives, in_favour)
        )
        assert result.json()["status"] == status, (representatives, in_favour)


async def test_village_arranged_project_gets_100_percent_and_a_third_party_check(county: County) -> None:
    program = await county.program("household-income-project", "staged_project", 10_000_000, "fund-projects")
    application = await approved(
        county, program, await county.known(extreme=True), 2_000_000, village_arranged=True
    )
    started = await step(county, "village", application, "start", {"on": day(3)})
    assert [p["amount_fen"] for p in started.json()["payments"]] == [2_000_000]
    await step(county, "village", application, "acceptance-request", {"on": day(5)})
    by_village = await step(
        county, "village", application, "village-check", {"on": day(6), "passed": True, "checker": "村委会"}
    )
    assert by_village.status_code == 422
    assert by_village.json()["error"] == "third_party_required"
    third = {"on": day(6), "passed": True, "checker": "乡政府指派的第三方", "third_party": True}
    assert (await step(county, "township", application, "village-check", third)).status_code == 200


async def test_racing_approvals_for_one_household_keep_the_yearly_cap(county: County) -> None:
    program = await county.program("household-income-project", "staged_project", 10_000_000, "fund-projects")
    household = await county.known(extreme=True)
    applications = []
    for _ in range(3):
        application = (await apply(county, program, household, 2_000_000)).json()["id"]
        await step(county, "village", application, "village-review", review(9, 9))
        applications.append(application)
    decisions = await asyncio.gather(
        *(
            step(county, "township", a, "township-decision", {"approve": True, "decided_on": day(0)})
            for a in applications
        )
    )
    assert sorted(d.status_code for d in decisions) == [200, 409, 409]
    assert {d.json()["error"] for d in decisions if d.status_code == 409} == {"cap_exceeded"}
    assert (await county.program_state(program["id"]))["reserved_fen"] == 2_000_000


async def test_caps_are_checked_again_when_paying(county: County) -> None:
    program = await county.program("household-income-project", "staged_project", 10_000_000, "fund-projects")
    application = await approved(county, program, await county.known(extreme=True), 3_000_000)
    lowered = await county.http.post(
        "/api/v1/catalogue/schemes/household-income-project/parameters",
        headers=county.as_("approver"),
        json={
            "region_code": COUNTY,
            "effective_from": day(1),
            "values": {"max_per_household_year_fen": 2_000_000},
        },
    )
    assert lowered.status_code == 201
    refused = await step(county, "village", application, "start", {"on": day(3)})
    assert refused.status_code == 409
    assert refused.json()["error"] == "cap_exceeded"
    assert (await county.program_state(program["id"]))["committed_fen"] == 0


async def test_overdue_checks_are_listed_the_day_after_the_deadline(county: County) -> None:
    program = await county.program("household-income-project", "staged_project", 10_000_000, "fund-projects")
    application = await approved(county, program, await county.known(extreme=True), 1_000_000)
    await step(county, "village", application, "start", {"on": day(3)})
    await step(county, "village", application, "acceptance-request", {"on": day(10)})

    async def overdue(as_of: str) -> list[dict[str, Any]]:
        response = await county.http.get(
            "/api/v1/applications/overdue", headers=county.as_("township"), params={"as_of": as_of}
        )
        return [row for row in response.json() if row["application_id"] == application]

    assert await overdue(day(25)) == []  # 15日内: the 15th day is still in time
    late = await overdue(day(26))
    assert [(row["step"], row["days_overdue"]) for row in late] == [("village_check", 1)]
    failed = await step(
        county,
        "village",
        application,
        "village-check",
        {"on": day(27), "passed": False, "checker": "村监委会", "note": "羊未购买"},
    )
    assert failed.json()["status"] == "check_failed"
    state = await county.program_state(program["id"])
    assert (state["reserved_fen"], state["committed_fen"]) == (0, 800_000)  # the unpaid 20% is released
