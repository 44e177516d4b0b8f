"""Catalogue as data, fund sources and budgets (专款专用), eligibility, amounts, caps and entitlements."""

import asyncio
import uuid

import pytest

from tests.subsidy.helpers import COUNTY, County
from tests.support.system import RunningSystem, auth

SECTION_5 = {
    "household-income-project",
    "housing-construction",
    "dangerous-house-repair",
    "household-income-grant",
    "yulu-college-grant",
    "tourism-jobs",
    "public-welfare-jobs",
    "startup-loan-interest",
    "land-transfer-reward",
    "labour-export-reward",
    "asset-income-dividend",
    "solar-income",
    "transfer-employment-subsidy",
    "industry-subsidy",
}


@pytest.fixture
async def county(system: RunningSystem) -> County:
    await system.app("subsidy").state.dispatcher.stop()  # these tests look at money before any bank
    return await County(system).staff()


async def test_catalogue_has_every_program_and_a_county_overrides_one_number_from_a_date(
    county: County,
) -> None:
    schemes = await county.http.get("/api/v1/catalogue/schemes", headers=county.as_("finance"))
    by_code = {s["code"]: s for s in schemes.json()}
    assert set(by_code) >= SECTION_5
    assert by_code["household-income-project"]["parameters"]["max_per_household_year_fen"] == 3_000_000
    assert by_code["housing-construction"]["parameters"]["max_per_household_total_fen"] == 5_000_000
    assert by_code["startup-loan-interest"]["parameters"]["interest_share_percent"] == 50
    assert by_code["public-welfare-jobs"]["parameters"]["per_month_fen"] == 10_000
    assert by_code["household-income-project"]["required_documents"]

    version = {
        "region_code": COUNTY,
        "effective_from": "2026-01-01",
        "values": {"max_per_payment_fen": 600_000},
    }
    path = "/api/v1/catalogue/schemes/household-income-grant/parameters"
    created = await county.http.post(path, headers=county.as_("approver"), json=version)
    assert created.status_code == 201, created.text
    again = await county.http.post(path, headers=county.as_("approver"), json=version)
    assert again.status_code == 409  # versions are added, never rewritten
    by_finance = await county.http.post(
        path, headers=county.as_("finance"), json={**version, "effective_from": "2026-02-01"}
    )
    assert by_finance.status_code == 403

    async def numbers(region: str, on: str) -> dict:
        response = await county.http.get(
            "/api/v1/catalogue/schemes/household-income-grant",
            headers=county.as_("finance"),
            params={"region": region, "on": on},
        )
        return response.json()["parameters"]

    assert (await numbers("522627001201", "2026-06-01"))[
        "max_per_payment_fen"
    ] == 600_000  # a village inherits
    assert (await numbers("522627001201", "2026-06-01"))["exited_grace_years"] == 2  # the rest is national
    assert (await numbers("522627001201", "2025-12-31"))["max_per_payment_fen"] == 800_000  # not yet in force
    assert (await numbers("522628001201", "2026-06-01"))["max_per_payment_fen"] == 800_000  # another county


async def test_fund_source_bounds_budgets_and_earmarks_them(county: County) -> None:
    await county.fund("fund-a", 1_000_000)
    await county.program(None, "one_off", 600_000, "fund-a")
    short = await county.http.post(
        "/api/v1/programs",
        headers=county.as_("finance"),
        json={
            "code": "too-much",
            "name_zh": "超额",
            "kind": "one_off",
            "fund_source": "fund-a",
            "county_code": COUNTY,
            "year": 2026,
            "budget_fen": 400_001,
        },
    )
    assert short.status_code == 409
    assert short.json()["error"] == "insufficient_budget"
    await county.program(None, "one_off", 400_000, "fund-a")  # exactly what is left
    sources = await county.http.get("/api/v1/fund-sources", headers=county.as_("finance"))
    assert next(s for s in sources.json() if s["code"] == "fund-a")["unallocated_fen"] == 0

    await county.fund("fund-projects", 5_000_000, allowed=["household-income-project"])
    elsewhere = await county.http.post(
        "/api/v1/programs",
        headers=county.as_("finance"),
        json={
            "code": "grant-from-project-fund",
            "name_zh": "挪用",
            "kind": "one_off",
            "scheme_code": "household-income-grant",
            "fund_source": "fund-projects",
            "county_code": COUNTY,
            "year": 2026,
            "budget_fen": 100,
        },
    )
    assert elsewhere.status_code == 422
    assert elsewhere.json()["error"] == "earmarked_elsewhere"
    unknown = await county.http.post(
        "/api/v1/programs",
        headers=county.as_("finance"),
        json={
            "code": "no-fund",
            "name_zh": "无来源",
            "kind": "one_off",
            "fund_source": "nowhere",
            "county_code": COUNTY,
            "year": 2026,
            "budget_fen": 100,
        },
    )
    assert unknown.status_code == 422


async def test_concurrent_payments_never_exceed_the_budget(county: County) -> None:
    await county.fund("fund-race", 1_000_000)
    program = await county.program("household-income-grant", "one_off", 1_000_000, "fund-race")
    households = [await county.known() for _ in range(25)]
    responses = await asyncio.gather(*(county.pay(program, h, 100_000) for h in households))
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 10
    assert all(r.json()["error"] == "insufficient_budget" for r in responses if r.status_code == 409)
    state = await county.program_state(program["id"])
    assert state["remaining_fen"] == 0
    assert state["committed_fen"] == 1_000_000


async def test_household_income_grant_is_at_most_8000_yuan_a_payment(county: County) -> None:
    await county.fund("fund-grant", 10_000_000)
    program = await county.program("household-income-grant", "one_off", 10_000_000, "fund-grant")
    household = await county.known()
    over = await county.pay(program, household, 800_001)
    assert over.status_code == 409
    assert over.json()["error"] == "cap_exceeded"
    assert (await county.pay(program, household, 800_000)).status_code == 201  # 8000元以下 includes 8000
    state = await county.program_state(program["id"])
    assert state["committed_fen"] == 800_000  # the refused one left nothing behind


async def test_same_key_returns_the_first_payment_and_another_body_is_refused(county: County) -> None:
    await county.fund("fund-idem", 10_000_000)
    program = await county.program("household-income-grant", "one_off", 10_000_000, "fund-idem")
    household = await county.known()
    first = await county.pay(program, household, 500_000, key="same-key-0001")
    again = await county.pay(program, household, 500_000, key="same-key-0001")
    other = await county.pay(program, household, 400_000, key="same-key-0001")
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 409)
    assert again.json()["id"] == first.json()["id"]
    assert (await county.program_state(program["id"]))["committed_fen"] == 500_000


async def test_dangerous_house_repair_amounts_and_racing_payments_keep_the_household_cap(
    county: County,
) -> None:
    await county.fund("fund-house", 50_000_000)
    program = await county.program("dangerous-house-repair", "one_off", 50_000_000, "fund-house")
    flagged = {"dangerous_house_repair": 1}
    house = await county.known(programs=flagged)
    racing = await asyncio.gather(*(county.pay(program, house, 1_850_000) for _ in range(4)))
    assert sorted(r.status_code for r in racing) == [201, 409, 409, 409]
    assert {r.json()["error"] for r in racing if r.status_code == 409} == {"cap_exceeded"}

    other = await county.known(programs=flagged)
    assert (await county.pay(program, other, 800_000)).status_code == 201  # heavy repair 5000–8000 yuan
    assert (await county.pay(program, await county.known(programs=flagged), 800_001)).json()[
        "error"
    ] == "amount_not_allowed"
    assert (await county.pay(program, await county.known(programs=flagged), 499_999)).json()[
        "error"
    ] == "amount_not_allowed"
    assert (await county.pay(program, await county.known(programs=flagged), 500_000)).status_code == 201
    not_dangerous = await county.pay(program, await county.known(), 350_000)
    assert not_dangerous.status_code == 422
    assert not_dangerous.json()["error"] == "not_eligible"


async def test_yulu_grant_is_4000_once_per_student(county: County) -> None:
    await county.fund("fund-yulu", 10_000_000)
    program = await county.program("yulu-college-grant", "one_off", 10_000_000, "fund-yulu")
    household = await county.known()
    student, sister = uuid.uuid4(), uuid.uuid4()
    assert (await county.pay(program, household, 400_000)).status_code == 422  # which student?
    assert (await county.pay(program, household, 399_999, member_id=str(student))).status_code == 422
    assert (await county.pay(program, household, 400_000, member_id=str(student))).status_code == 201
    twice = await county.pay(program, household, 400_000, member_id=str(student))
    assert twice.status_code == 409
    assert twice.json()["error"] == "already_paid"
    assert (await county.pay(program, household, 400_000, member_id=str(sister))).status_code == 201


async def test_who_may_receive_status_grace_after_exit_and_regions(county: County) -> None:
    await county.fund("fund-who", 20_000_000)
    program = await county.program("household-income-grant", "one_off", 10_000_000, "fund-who")
    exited_2024 = await county.known(status="exited", exit_year=2024)
    exited_2023 = await county.known(status="exited", exit_year=2023)
    applicant = await county.known(status="applicant")
    elsewhere = await county.known(village="522628001201")
    assert (await county.pay(program, exited_2024, 100_000)).status_code == 201  # within 2 years of exit
    late = await county.pay(program, exited_2023, 100_000)
    assert late.status_code == 422
    assert late.json()["error"] == "not_eligible"
    assert (await county.pay(program, applicant, 100_000)).status_code == 422
    assert (await county.pay(program, elsewhere, 100_000)).status_code == 404  # not in the caller's county

    project = await county.program("household-income-project", "staged_project", 10_000_000, "fund-who")
    direct = await county.pay(project, await county.known(extreme=True), 100_000)
    assert direct.status_code == 422
    assert direct.json()["error"] == "wrong_procedure"
    other_county_staff = await county.api.create_user(
        county.system.admin_token, "finance.other", ["finance_officer"], ["522628000000"]
    )
    foreign = await county.http.post(
        "/api/v1/payments",
        headers={**auth(other_county_staff), "Idempotency-Key": "foreign-0001"},
        json={"program_id": program["id"], "household_id": str(exited_2024), "amount_fen": 100},
    )
    assert foreign.status_code == 404
