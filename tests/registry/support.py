"""What the registry tests share: a synthetic county, its staff by role, and surveys through the gateway."""

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from stdnum.cn import ric

from bench.generator import SyntheticCounty, SyntheticHousehold
from tests.support.system import RunningSystem, auth, eventually

COUNTY = "522627000000"


@dataclass
class Staff:
    """One user per role: the cadre and village officer in one village, the others over it."""

    village: str
    cadre: str
    village_officer: str
    township_reviewer: str
    county_approver: str

    def headers(self, role: str) -> dict[str, str]:
        return auth(getattr(self, role))


async def make_staff(system: RunningSystem, village: str, prefix: str = "") -> Staff:
    api = system.api
    township = village[:9] + "000"
    county = village[:6] + "000000"
    return Staff(
        village=village,
        cadre=await api.create_user(system.admin_token, f"{prefix}cadre", ["cadre"], [village]),
        village_officer=await api.create_user(
            system.admin_token, f"{prefix}village", ["village_officer"], [village]
        ),
        township_reviewer=await api.create_user(
            system.admin_token, f"{prefix}township", ["township_reviewer"], [township]
        ),
        county_approver=await api.create_user(
            system.admin_token, f"{prefix}county", ["county_approver"], [county]
        ),
    )


async def submit_survey(
    api_http: httpx.AsyncClient, token: str, household: SyntheticHousehold, **changes: Any
) -> dict[str, Any]:
    """Survey a household (new, or an existing one with household_id and base_version in `changes`)."""
    body = household.survey(submission_id=uuid.uuid4() if "household_id" in changes else None)
    body.update(changes)
    response = await api_http.post("/api/v1/surveys", json=body, headers=auth(token))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def county(seed: int) -> SyntheticCounty:
    return SyntheticCounty(COUNTY, seed=seed)


def idempotent(token: str) -> dict[str, str]:
    """Auth headers with a fresh Idempotency-Key, for one create request."""
    return {**auth(token), "Idempotency-Key": uuid.uuid4().hex}


async def do_step(
    api_http: httpx.AsyncClient, token: str, case: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    """Do the case's next step as `token`; returns the case after it."""
    response = await api_http.post(
        f"/api/v1/cases/{case['id']}/steps",
        json={"step": case["step"], "case_version": case["version"], **extra},
        headers=auth(token),
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def get_case(api_http: httpx.AsyncClient, token: str, case_id: str) -> dict[str, Any]:
    response = await api_http.get(f"/api/v1/cases/{case_id}", headers=auth(token))
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


POOR_INCOME = {
    "wages_fen": 150000,
    "production_net_fen": 90000,
    "property_fen": 0,
    "transfer_fen": 30000,
    "production_cost_fen": 20000,
}


async def post_notice(
    api_http: httpx.AsyncClient, token: str, village: str, kind: str, step: str
) -> dict[str, Any]:
    response = await api_http.post(
        "/api/v1/notices",
        json={"village_code": village, "case_kind": kind, "step": step},
        headers=idempotent(token),
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def close_notice(system: RunningSystem, token: str, notice: dict[str, Any]) -> dict[str, Any]:
    """Let the notice's period run out on the registry's clock, then close it."""
    clock = system.app("registry").state.clock
    if clock.now().isoformat() < notice["ends_at"]:
        clock.freeze(dt.datetime.fromisoformat(notice["ends_at"]))
    response = await system.api.http.post(
        f"/api/v1/notices/{notice['id']}/close",
        json={"notice_version": notice["version"]},
        headers=auth(token),
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def wait_ranked(system: RunningSystem, staff: Staff, household_ids: list[str]) -> None:
    """Wait until the eligibility service has assessed (and so can rank) these households."""

    async def probe() -> bool:
        r = await system.api.http.get(
            f"/api/v1/rankings/villages/{staff.village}", headers=staff.headers("village_officer")
        )
        ranked = (
            {entry["household_id"] for entry in r.json()["households"]} if r.status_code == 200 else set()
        )
        return set(household_ids) <= ranked

    await eventually(probe)


async def register(system: RunningSystem, staff: Staff, household_ids: list[str]) -> None:
    """Take these households of one village through identification to registration, no objections."""
    api = system.api
    await wait_ranked(system, staff, household_ids)
    cases = []
    for household_id in household_ids:
        r = await api.http.post(
            "/api/v1/cases",
            json={"kind": "identification", "household_id": household_id},
            headers=idempotent(staff.village_officer),
        )
        assert r.status_code == 201, r.text
        cases.append(await do_step(api.http, staff.cadre, r.json()))
    today = system.app("registry").state.clock.today().isoformat()
    r = await api.http.post(
        "/api/v1/deliberations",
        json={
            "village_code": staff.village,
            "meeting_date": today,
            "attendance": 55,
            "chair": "主持人",
            "convened_by": "副乡长",
        },
        headers=idempotent(staff.village_officer),
    )
    assert r.status_code == 201, r.text
    plan = [
        ("notice", "village_officer", "first_notice"),
        ("step", "township_reviewer", "revisit"),
        ("step", "township_reviewer", "township_review"),
        ("notice", "township_reviewer", "second_notice"),
        ("step", "county_approver", "county_confirmation"),
        ("notice", "county_approver", "third_notice"),
        ("step", "township_reviewer", "data_entry"),
        ("step", "county_approver", "registration"),
    ]
    for what, role, step in plan:
        if what == "notice":
            notice = await post_notice(api.http, getattr(staff, role), staff.village, "identification", step)
            await close_notice(system, getattr(staff, role), notice)
            continue
        for case in cases:
            current = await get_case(api.http, staff.cadre, case["id"])
            assert current["step"] == step, current
            await do_step(api.http, getattr(staff, role), current)


def person(
    name: str, birth: dt.date, *, male: bool, relation: str, serial: int, **extra: Any
) -> dict[str, Any]:
    """A survey member with a valid ID number of the county for this birth date and sex."""
    sequence = serial * 2 + (1 if male else 0)
    body = f"{COUNTY[:6]}{birth:%Y%m%d}{sequence % 1000:03d}"
    return {
        "name": name,
        "id_number": body + ric.calc_check_digit(body + "0"),
        "sex": "male" if male else "female",
        "birth_date": birth.isoformat(),
        "relation": relation,
        "labour_capacity": "normal",
        **extra,
    }


def survey_body(village: str, members: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    """A new household's survey with these members and modest, consistent figures."""
    body: dict[str, Any] = {
        "submission_id": str(uuid.uuid4()),
        "village_code": village,
        "captured_at": "2026-11-01T09:00:00+00:00",
        "device_id": "test-phone",
        "members": members,
        "income": dict(POOR_INCOME),
        "housing": {"structure": "砖木", "area_m2": 60, "safety_grade": "B", "drinking_water_safe": True},
        "bank_account": {"bank_name": "贵州省农村信用社", "account_number": "6228480012345678901"},
    }
    body.update(changes)
    return body


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


async def open_case(system: RunningSystem, token: str, kind: str, household_id: str, **extra: Any) -> Any:
    return await system.api.http.post(
        "/api/v1/cases", json={"kind": kind, "household_id": household_id, **extra}, headers=idempotent(token)
    )


async def resurvey_better_off(system: RunningSystem, staff: Staff, household: Any, household_id: str) -> None:
    """A new survey: income well above the line, 两不愁三保障 met; eligibility finds it ready to exit."""
    path = f"/api/v1/households/{household_id}"
    current = (await system.api.http.get(path, headers=auth(staff.cadre))).json()
    body = household.survey()
    for member in body["members"]:
        member.update(medical_insurance=True, dropout=False)
    await submit_survey(
        system.api.http,
        staff.cadre,
        household,
        household_id=household_id,
        base_version=current["version"],
        income=BETTER_OFF,
        members=body["members"],
        housing={**household.housing, "safety_grade": "A", "drinking_water_safe": True},
        profile=SECURE,
    )
