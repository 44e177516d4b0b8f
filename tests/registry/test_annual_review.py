"""Annual review (年度动态调整): entries and exits from the latest assessments, cases opened in bulk."""

import datetime as dt

from tests.registry.support import (
    POOR_INCOME,
    county,
    get_case,
    idempotent,
    make_staff,
    register,
    submit_survey,
)
from tests.support.system import RunningSystem, auth, eventually

ABOVE_LINE = {
    "wages_fen": 3_000_000,
    "production_net_fen": 0,
    "property_fen": 0,
    "transfer_fen": 0,
    "production_cost_fen": 0,
}


async def test_annual_review_proposes_and_opens_cases_before_the_deadline(system: RunningSystem) -> None:
    api = system.api
    clock = system.app("registry").state.clock
    clock.freeze(dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC))
    synthetic = county(81)
    village = synthetic.village_codes[2]
    staff = await make_staff(system, village)
    stays, leaves, newcomer, well_off = list(synthetic.households(4, village))
    stays_id = (await submit_survey(api.http, staff.cadre, stays, income=POOR_INCOME))["household_id"]
    leaves_id = (await submit_survey(api.http, staff.cadre, leaves, income=POOR_INCOME))["household_id"]
    await register(system, staff, [stays_id, leaves_id])
    newcomer_id = (await submit_survey(api.http, staff.cadre, newcomer, income=POOR_INCOME))["household_id"]
    well_off_id = (await submit_survey(api.http, staff.cadre, well_off, income=ABOVE_LINE))["household_id"]

    # The household that leaves now earns well above the line and meets 两不愁三保障.
    current = (await api.http.get(f"/api/v1/households/{leaves_id}", headers=staff.headers("cadre"))).json()
    members = leaves.survey()["members"]
    for member in members:
        member.update(medical_insurance=True, dropout=False)
    await submit_survey(
        api.http,
        staff.cadre,
        leaves,
        household_id=leaves_id,
        base_version=current["version"],
        income=ABOVE_LINE,
        members=members,
        housing={**leaves.housing, "safety_grade": "A", "drinking_water_safe": True},
        profile={
            "food_clothing_secure": True,
            "education_secured": True,
            "medical_secured": True,
            "housing_secured": True,
        },
    )

    # January 2027, before the 31st: the township reviews the year.
    clock.freeze(dt.datetime(2027, 1, 10, 2, 0, tzinfo=dt.UTC))
    township = village[:9] + "000"

    async def proposed() -> dict | None:
        r = await api.http.post(
            "/api/v1/annual-reviews",
            json={"region_code": township, "year": 2027},
            headers=idempotent(staff.township_reviewer),
        )
        assert r.status_code == 201, r.text
        review = r.json()
        found = {item["household_id"] for item in review["entries"] + review["exits"]}
        return review if {newcomer_id, leaves_id} <= found else None

    review = await eventually(proposed)
    assert review["deadline"] == "2027-01-31"
    assert review["overdue"] is False
    assert {item["household_id"] for item in review["entries"]} == {newcomer_id}
    assert {item["household_id"] for item in review["exits"]} == {leaves_id}
    assert stays_id not in {i["household_id"] for i in review["entries"] + review["exits"]}
    assert well_off_id not in {i["household_id"] for i in review["entries"] + review["exits"]}
    assert review["exits"][0]["policy_code"]

    cadre_cannot = await api.http.post(
        f"/api/v1/annual-reviews/{review['id']}/cases", json={}, headers=staff.headers("cadre")
    )
    assert cadre_cannot.status_code == 403
    opened = await api.http.post(
        f"/api/v1/annual-reviews/{review['id']}/cases", json={}, headers=staff.headers("township_reviewer")
    )
    assert opened.status_code == 200, opened.text
    assert (opened.json()["opened"], opened.json()["skipped"]) == (2, [])
    again = await api.http.post(
        f"/api/v1/annual-reviews/{review['id']}/cases", json={}, headers=staff.headers("township_reviewer")
    )
    assert again.json()["opened"] == 0

    items = {
        i["household_id"]: i for i in opened.json()["review"]["entries"] + opened.json()["review"]["exits"]
    }
    entry_case = await get_case(api.http, staff.cadre, items[newcomer_id]["case_id"])
    exit_case = await get_case(api.http, staff.cadre, items[leaves_id]["case_id"])
    assert (entry_case["kind"], entry_case["step"]) == ("identification", "survey")
    assert entry_case["steps"][0]["actor_role"] == "township_reviewer"
    assert (exit_case["kind"], exit_case["step"]) == ("exit", "village_notice")

    # A review held after the deadline says so.
    late = await api.http.post(
        "/api/v1/annual-reviews",
        json={"region_code": township, "year": 2026},
        headers=idempotent(staff.township_reviewer),
    )
    assert (late.json()["deadline"], late.json()["overdue"]) == ("2026-01-31", True)
    elsewhere = await api.http.post(
        "/api/v1/annual-reviews",
        json={"region_code": "522628000000", "year": 2027},
        headers=idempotent(staff.county_approver),
    )
    assert elsewhere.status_code == 404
    url = f"/api/v1/annual-reviews/{review['id']}"
    assert (await api.http.get(url, headers=auth(staff.township_reviewer))).status_code == 200
    assert (await api.http.get(url, headers=auth(staff.cadre))).status_code == 404  # not the village's list
