"""The household file (建档立卡): fields of the national form, versions, diffs, as-of reads, ID lookups."""

import asyncio
import datetime as dt
import uuid

from sqlalchemy import select, update
from stdnum.cn import ric

from services.registry.models import AuditRecord, DuplicateFlag, HouseholdVersion, OutboxEvent
from tests.registry.support import county, make_staff, submit_survey
from tests.support.system import RunningSystem, auth

PROFILE = {
    "group_name": "三组",
    "poverty_degree": "moderate",
    "main_cause": "illness",
    "secondary_causes": ["lack_of_skills", "lack_of_capital"],
    "dibao_allowance_fen": 120000,
    "food_clothing_secure": True,
    "education_secured": True,
    "medical_secured": False,
    "housing_secured": False,
}


async def test_survey_fills_the_national_form_and_each_change_is_a_version(system: RunningSystem) -> None:
    api = system.api
    synthetic = county(41)
    village = synthetic.village_codes[0]
    staff = await make_staff(system, village)
    household = next(synthetic.households(1, village))
    body_members = household.survey()["members"]
    body_members[0].update(
        health="chronic", labour_willing=True, skills=["泥瓦工"], work_location="in_county"
    )
    created = await submit_survey(api.http, staff.cadre, household, profile=PROFILE, members=body_members)
    household_id = created["household_id"]

    read = (await api.http.get(f"/api/v1/households/{household_id}", headers=staff.headers("cadre"))).json()
    assert read["version"] == 1
    assert read["main_cause_label"] == "因病"
    assert read["poverty_degree_label"] == "中度贫困"
    assert read["secondary_causes"] == ["lack_of_skills", "lack_of_capital"]
    assert read["medical_secured"] is False
    assert read["bank_account_masked"].endswith(household.bank_account["account_number"][-4:])
    head = read["members"][0]
    assert head["health_label"] == "长期慢性病"
    assert head["skills"] == ["泥瓦工"]
    assert head["work_location_label"] == "乡镇外县内"

    # A correction carries the version it was based on and a reason; it becomes version 2.
    patched = await api.http.patch(
        f"/api/v1/households/{household_id}",
        headers=staff.headers("village_officer"),
        json={
            "base_version": 1,
            "reason": "复核医疗保障情况",
            "medical_secured": True,
            "category": "dibao_poor",
        },
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["version"] == 2
    assert patched.json()["category_label"] == "低保贫困户"

    stale = await api.http.patch(
        f"/api/v1/households/{household_id}",
        headers=staff.headers("village_officer"),
        json={"base_version": 1, "reason": "再次修改", "housing_secured": True},
    )
    assert stale.status_code == 409
    assert stale.json()["error"] == "stale_version"

    versions = (
        await api.http.get(f"/api/v1/households/{household_id}/versions", headers=staff.headers("cadre"))
    ).json()
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["action"] == "household.create"
    assert versions[1]["reason"] == "复核医疗保障情况"
    assert sorted(versions[1]["changed"]) == ["household.category", "household.medical_secured"]

    diff = (
        await api.http.get(
            f"/api/v1/households/{household_id}/diff",
            params={"from_version": 1, "to_version": 2},
            headers=staff.headers("cadre"),
        )
    ).json()
    assert {c["path"]: (c["before"], c["after"]) for c in diff["changes"]} == {
        "household.category": ("not_poor", "dibao_poor"),
        "household.medical_secured": (False, True),
    }


async def test_member_correction_and_member_level_diff(system: RunningSystem) -> None:
    api = system.api
    synthetic = county(42)
    village = synthetic.village_codes[1]
    staff = await make_staff(system, village)
    household = next(synthetic.households(1, village))
    created = await submit_survey(api.http, staff.cadre, household)
    household_id = created["household_id"]
    read = (await api.http.get(f"/api/v1/households/{household_id}", headers=staff.headers("cadre"))).json()
    member_id = read["members"][-1]["id"]

    fixed = await api.http.patch(
        f"/api/v1/households/{household_id}/members/{member_id}",
        headers=staff.headers("cadre"),
        json={"base_version": 1, "reason": "核对学籍", "schooling_stage": "junior", "dropout": True},
    )
    assert fixed.status_code == 200, fixed.text
    diff = (
        await api.http.get(
            f"/api/v1/households/{household_id}/diff",
            params={"from_version": 1, "to_version": 2},
            headers=staff.headers("cadre"),
        )
    ).json()
    assert {c["path"] for c in diff["changes"]} == {
        f"members.{member_id}.schooling_stage",
        f"members.{member_id}.dropout",
    }

    if read["members"][0]["id"] != member_id:
        two_heads = await api.http.patch(
            f"/api/v1/households/{household_id}/members/{member_id}",
            headers=staff.headers("cadre"),
            json={"base_version": 2, "reason": "改户主", "relation": "head"},
        )
        assert two_heads.status_code == 422
        after = (
            await api.http.get(f"/api/v1/households/{household_id}", headers=staff.headers("cadre"))
        ).json()
        assert after["version"] == 2


async def test_read_as_of_a_past_date(system: RunningSystem) -> None:
    api = system.api
    synthetic = county(43)
    village = synthetic.village_codes[2]
    staff = await make_staff(system, village)
    created = await submit_survey(api.http, staff.cadre, next(synthetic.households(1, village)))
    household_id = created["household_id"]
    await api.http.patch(
        f"/api/v1/households/{household_id}",
        headers=staff.headers("cadre"),
        json={"base_version": 1, "reason": "更新小组", "group_name": "五组"},
    )
    # Version 1 was written on 2026-03-01 (Beijing time), version 2 on 2026-06-01 at 00:30 Beijing time.
    async with system.app("registry").state.database.sessionmaker() as session, session.begin():
        for number, instant in (
            (1, dt.datetime(2026, 3, 1, 2, tzinfo=dt.UTC)),
            (2, dt.datetime(2026, 5, 31, 16, 30, tzinfo=dt.UTC)),
        ):
            await session.execute(
                update(HouseholdVersion)
                .where(
                    HouseholdVersion.household_id == uuid.UUID(household_id),
                    HouseholdVersion.version == number,
                )
                .values(recorded_at=instant)
            )

    async def as_of(day: str) -> tuple[int, dict]:
        r = await api.http.get(
            f"/api/v1/households/{household_id}/as-of", params={"date": day}, headers=staff.headers("cadre")
        )
        return r.status_code, r.json()

    assert (await as_of("2026-02-28"))[0] == 404
    status, body = await as_of("2026-03-01")
    assert (status, body["version"], body["snapshot"]["household"]["group_name"]) == (200, 1, None)
    status, body = await as_of("2026-05-31")  # the end of 31 May, Beijing time, is before the 2nd version
    assert body["version"] == 1
    status, body = await as_of("2026-06-01")
    assert (body["version"], body["snapshot"]["household"]["group_name"]) == (2, "五组")


async def test_concurrent_corrections_on_one_version_one_wins(system: RunningSystem) -> None:
    api = system.api
    synthetic = county(44)
    village = synthetic.village_codes[3]
    staff = await make_staff(system, village)
    created = await submit_survey(api.http, staff.cadre, next(synthetic.households(1, village)))
    household_id = created["household_id"]

    async def correct(group: str) -> int:
        r = await api.http.patch(
            f"/api/v1/households/{household_id}",
            headers=staff.headers("cadre"),
            json={"base_version": 1, "reason": "并发修改", "group_name": group},
        )
        return r.status_code

    statuses = await asyncio.gather(*(correct(f"{n}组") for n in range(1, 7)))
    assert sorted(statuses) == [200] + [409] * 5
    versions = (
        await api.http.get(f"/api/v1/households/{household_id}/versions", headers=staff.headers("cadre"))
    ).json()
    assert [v["version"] for v in versions] == [1, 2]


async def test_lookup_by_id_number_within_regions_and_reveal_by_role(system: RunningSystem) -> None:
    api = system.api
    synthetic = county(45)
    village, other_village = synthetic.village_codes[0], synthetic.village_codes[5]
    staff = await make_staff(system, village)
    household = next(synthetic.households(1, village))
    created = await submit_survey(api.http, staff.cadre, household)
    number = household.members[0].id_number

    found = await api.http.post(
        "/api/v1/members/lookup", json={"id_number": number}, headers=staff.headers("cadre")
    )
    assert found.status_code == 200
    assert found.json()["household_id"] == created["household_id"]
    assert found.json()["id_number_masked"] == number[:4] + "*" * 10 + number[-4:]
    assert number not in found.text

    stranger = await api.create_user(system.admin_token, "cadre.far", ["cadre"], [other_village])
    assert (
        await api.http.post("/api/v1/members/lookup", json={"id_number": number}, headers=auth(stranger))
    ).status_code == 404
    assert (
        await api.http.get(f"/api/v1/households/{created['household_id']}", headers=auth(stranger))
    ).status_code == 404

    url = f"/api/v1/households/{created['household_id']}"
    refused = await api.http.get(url, params={"reveal_id_numbers": "true"}, headers=staff.headers("cadre"))
    assert refused.status_code == 403
    revealed = await api.http.get(
        url, params={"reveal_id_numbers": "true"}, headers=staff.headers("village_officer")
    )
    assert revealed.json()["members"][0]["id_number"] == number
    async with system.app("registry").state.database.sessionmaker() as session:
        actions = (
            await session.scalars(
                select(AuditRecord.action).where(AuditRecord.entity_id == created["household_id"])
            )
        ).all()
    assert "household.reveal_id_numbers" in actions


async def test_same_id_in_two_households_is_refused_likely_duplicates_are_flagged(
    system: RunningSystem,
) -> None:
    api = system.api
    synthetic = county(46)
    village = synthetic.village_codes[0]
    staff = await make_staff(system, village)
    first, second = list(synthetic.households(2, village))
    created = await submit_survey(api.http, staff.cadre, first)

    body = second.survey()
    body["members"].append({**first.survey()["members"][0], "relation": "other"})
    # apply_survey refuses it with a 409 naming the household; the survey intake keeps it for review.
    held = await api.http.post("/api/v1/surveys", json=body, headers=staff.headers("cadre"))
    assert held.json()["status"] == "needs_review", held.text
    assert created["household_id"] in held.json()["reason"]
    assert held.json()["household_id"] is None

    # Same name and birth date as first's head but another ID number: accepted, flagged for review.
    twin = dict(first.survey()["members"][0])
    third_body = next(synthetic.households(1, village)).survey()
    twin.update(relation="other", id_number=_same_birth_other_number(twin["id_number"]))
    third_body["members"].append(twin)
    accepted = await api.http.post("/api/v1/surveys", json=third_body, headers=staff.headers("cadre"))
    assert accepted.status_code == 201, accepted.text
    async with system.app("registry").state.database.sessionmaker() as session:
        flags = (await session.scalars(select(DuplicateFlag))).all()
    assert len(flags) == 1
    assert {str(flags[0].household_id), str(flags[0].other_household_id)} == {
        accepted.json()["household_id"],
        created["household_id"],
    }


def _same_birth_other_number(number: str) -> str:
    """Another valid ID number with the same birth date and sex (sequence + 2 keeps its parity)."""
    body = number[:14] + f"{(int(number[14:17]) + 2) % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


async def test_feed_event_carries_the_version_and_the_file(system: RunningSystem) -> None:
    api = system.api
    synthetic = county(47)
    village = synthetic.village_codes[0]
    staff = await make_staff(system, village)
    created = await submit_survey(
        api.http, staff.cadre, next(synthetic.households(1, village)), profile=PROFILE
    )
    async with system.app("registry").state.database.sessionmaker() as session:
        payloads = (
            await session.scalars(
                select(OutboxEvent.payload).where(OutboxEvent.key == created["household_id"])
            )
        ).all()
    assert payloads[-1]["version"] == 1
    assert payloads[-1]["medical_secured"] is False
    assert payloads[-1]["status"] == "applicant"
