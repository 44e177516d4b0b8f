"""Monthly job programs (one payment per person per month) and the interest subsidy on micro-loans."""

import asyncio
import uuid
from typing import Any

import pytest

from tests.subsidy.helpers import County
from tests.support.system import RunningSystem, auth


@pytest.fixture
async def county(system: RunningSystem) -> County:
    await system.app("subsidy").state.dispatcher.stop()
    county = await County(system).staff()
    await county.fund("fund-jobs", 100_000_000)
    return county


async def enrol(
    county: County, program: dict[str, Any], household: uuid.UUID, start: str, end: str, monthly: int
) -> Any:
    return await county.http.post(
        f"/api/v1/programs/{program['id']}/enrolments",
        headers=county.as_("village"),
        json={
            "household_id": str(household),
            "member_id": str(uuid.uuid4()),
            "employer": "镇环卫所",
            "position": "保洁员",
            "contract_start": start,
            "contract_end": end,
            "monthly_fen": monthly,
        },
    )


async def run(county: County, program: dict[str, Any], period: str) -> Any:
    return await county.http.post(
        f"/api/v1/programs/{program['id']}/periods/{period}/payments", headers=county.as_("finance")
    )


async def test_public_welfare_jobs_pay_each_person_once_a_month(county: County) -> None:
    program = await county.program("public-welfare-jobs", "monthly", 10_000_000, "fund-jobs")
    short = await enrol(county, program, await county.known(), "2026-01-01", "2028-12-31", 10_000)
    assert short.status_code == 422
    assert short.json()["error"] == "contract_too_short"  # 三年以上 needs three full years
    wrong = await enrol(county, program, await county.known(), "2026-01-01", "2029-01-01", 10_001)
    assert wrong.json()["error"] == "amount_not_allowed"
    households = [await county.known() for _ in range(6)]
    for household in households:
        assert (
            await enrol(county, program, household, "2026-01-01", "2029-01-01", 10_000)
        ).status_code == 201
    late_starter = await county.known()
    await enrol(county, program, late_starter, "2026-05-20", "2029-05-20", 10_000)
    gone = await county.known(status="exited", exit_year=2023)
    await enrol(county, program, await county.known(), "2026-01-01", "2029-01-01", 10_000)
    await county.known(gone)

    march = await run(county, program, "2026-03")
    assert march.status_code == 200, march.text
    assert (march.json()["created"], march.json()["total_fen"]) == (7, 70_000)
    again = await run(county, program, "2026-03")
    assert (again.json()["created"], again.json()["already_paid_or_queued"]) == (0, 7)
    racing = await asyncio.gather(
        run(county, program, "2026-05"), run(county, program, "2026-05"), run(county, program, "2026-05")
    )
    assert sum(r.json()["created"] for r in racing) == 8  # the late starter is in from May
    state = await county.program_state(program["id"])
    assert state["committed_fen"] == 150_000
    outside = await run(county, program, "2025-12")
    assert outside.status_code == 422


async def test_exited_households_drop_out_of_a_monthly_run_after_the_grace_period(county: County) -> None:
    program = await county.program("tourism-jobs", "monthly", 10_000_000, "fund-jobs")
    assert (
        await enrol(county, program, await county.known(), "2026-01-01", "2026-12-31", 19_999)
    ).status_code == 422
    stays = await county.known()
    assert (await enrol(county, program, stays, "2026-01-01", "2026-12-31", 20_000)).status_code == 201
    leaves = await county.known()
    assert (await enrol(county, program, leaves, "2026-01-01", "2026-12-31", 30_000)).status_code == 201
    await county.known(leaves, status="exited", exit_year=2023)
    june = await run(county, program, "2026-06")
    assert (june.json()["created"], june.json()["not_eligible"]) == (1, 1)


async def test_monthly_run_that_does_not_fit_the_budget_creates_nothing(county: County) -> None:
    program = await county.program("public-welfare-jobs", "monthly", 25_000, "fund-jobs")
    for _ in range(3):
        await enrol(county, program, await county.known(), "2026-01-01", "2029-01-01", 10_000)
    refused = await run(county, program, "2026-02")
    assert refused.status_code == 409
    state = await county.program_state(program["id"])
    assert (state["remaining_fen"], state["committed_fen"]) == (25_000, 0)


async def bank_token(system: RunningSystem, scopes: list[str]) -> str:
    client_id = f"bank-{uuid.uuid4().hex[:6]}"
    created = await system.api.http.post(
        "/api/v1/clients",
        headers=auth(system.admin_token),
        json={"client_id": client_id, "name": "农村信用社", "scopes": scopes},
    )
    assert created.status_code == 201, created.text
    response = await system.api.http.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": created.json()["client_secret"],
        },
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def loan(household: uuid.UUID, principal: int, maturity: str, reference: str | None = None) -> dict[str, Any]:
    return {
        "loan_reference": reference or uuid.uuid4().hex[:12],
        "household_id": str(household),
        "borrower_name": "王大山",
        "borrower_id_number": "522627198003151238",
        "principal_fen": principal,
        "annual_rate_bp": 435,
        "start_date": "2026-01-01",
        "maturity_date": maturity,
    }


async def test_bank_reports_a_loan_and_half_of_two_years_interest_is_paid(county: County) -> None:
    await county.program("startup-loan-interest", "interest_subsidy", 10_000_000, "fund-jobs")
    bank = await bank_token(county.system, ["loans:report"])
    household = await county.known()
    three_years = loan(household, 5_000_000, "2029-01-01", "LN-0001")
    reported = await county.http.post("/api/v1/loans", headers=auth(bank), json=three_years)
    assert reported.status_code == 201, reported.text
    # 50,000 yuan at 4.35% for the first 2 years (730 days) of a 3-year loan, half of it: 2,175 yuan.
    assert reported.json()["subsidy_fen"] == 217_500
    assert reported.json()["borrower_id_masked"] == "522627********1238"
    payment = await county.payment(reported.json()["payment_id"])
    assert payment["amount_fen"] == 217_500
    again = await county.http.post("/api/v1/loans", headers=auth(bank), json=three_years)
    assert (again.status_code, again.json()["id"]) == (200, reported.json()["id"])
    changed = await county.http.post(
        "/api/v1/loans", headers=auth(bank), json={**three_years, "principal_fen": 4_000_000}
    )
    assert changed.status_code == 409

    one_year = await county.http.post(
        "/api/v1/loans", headers=auth(bank), json=loan(household, 5_000_000, "2027-01-01")
    )
    assert one_year.json()["subsidy_fen"] == 108_750
    too_big = await county.http.post(
        "/api/v1/loans", headers=auth(bank), json=loan(household, 5_000_001, "2027-01-01")
    )
    assert too_big.status_code == 422
    assert too_big.json()["error"] == "loan_too_large"  # 5万以下 includes 50,000, not a fen more
    stranger = await county.http.post(
        "/api/v1/loans", headers=auth(bank), json=loan(uuid.uuid4(), 100_000, "2027-01-01")
    )
    assert stranger.status_code == 422
    without_scope = await bank_token(county.system, ["payments:notify"])
    assert (
        await county.http.post(
            "/api/v1/loans", headers=auth(without_scope), json=loan(household, 1, "2027-01-01")
        )
    ).status_code == 403
    assert (
        await county.http.post(
            "/api/v1/loans", headers=county.as_("finance"), json=loan(household, 1, "2027-01-01")
        )
    ).status_code == 403
