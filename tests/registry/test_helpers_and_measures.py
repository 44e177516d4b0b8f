"""Helpers and measures (结对帮扶、帮扶措施): the 321 quota (raced), visits, measures, card, roster."""

import asyncio
import datetime as dt
import io

from openpyxl import load_workbook

from tests.registry.support import (
    POOR_INCOME,
    county,
    idempotent,
    make_staff,
    register,
    submit_survey,
)
from tests.support.system import RunningSystem, auth

START = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)


async def test_pairing_quota_visits_measures_card_and_roster(system: RunningSystem) -> None:
    api = system.api
    system.app("registry").state.clock.freeze(START)
    synthetic = county(71)
    village = synthetic.village_codes[0]
    staff = await make_staff(system, village)
    households = list(synthetic.households(4, village))
    ids = [
        (await submit_survey(api.http, staff.cadre, h, income=POOR_INCOME))["household_id"]
        for h in households
    ]
    await register(system, staff, ids)
    today = system.app("registry").state.clock.today()

    async def helper(name: str, rank: str) -> dict:
        r = await api.http.post(
            "/api/v1/helpers",
            json={"name": name, "rank": rank, "unit": "县农业农村局", "region_code": village[:6] + "000000"},
            headers=idempotent(staff.county_approver),
        )
        assert r.status_code == 201, r.text
        return r.json()

    async def pair(helper_id: str, household_id: str) -> int:
        r = await api.http.post(
            "/api/v1/pairings",
            json={"helper_id": helper_id, "household_id": household_id, "started_on": today.isoformat()},
            headers=idempotent(staff.county_approver),
        )
        return r.status_code

    staff_member = await helper("张干事", "staff")
    section = await helper("李科长", "section_level")
    assert (staff_member["quota"], section["quota"]) == (1, 2)
    assert await pair(staff_member["id"], ids[0]) == 201
    assert await pair(staff_member["id"], ids[1]) == 409  # a staff member pairs with 1 household

    # Three pairings race for a section-level helper's two places: exactly two win.
    raced = await asyncio.gather(*(pair(section["id"], household_id) for household_id in ids[1:]))
    assert sorted(raced) == [201, 201, 409]
    listed = {
        h["id"]: h
        for h in (await api.http.get("/api/v1/helpers", headers=staff.headers("county_approver"))).json()
    }
    assert listed[section["id"]]["paired"] == 2

    # The county raises the staff quota from today: the household left over can now be paired.
    leftover = ids[1:][raced.index(409)]
    raised = await api.http.post(
        "/api/v1/registry/parameters",
        json={
            "key": "pairing_quota",
            "region_code": village[:6] + "000000",
            "effective_from": today.isoformat(),
            "value": {"county_leader": 3, "section_level": 2, "staff": 2},
            "source": "天柱县扶贫办 2026年第3号通知",
        },
        headers=idempotent(staff.county_approver),
    )
    assert raised.status_code == 201, raised.text
    assert await pair(staff_member["id"], leftover) == 201
    assert await pair(section["id"], ids[0]) == 409  # the household already has its helper

    # Visits: one logged for the first household this month; the others are listed as visited too little.
    visit = await api.http.post(
        "/api/v1/visits",
        json={
            "household_id": ids[0],
            "visited_on": today.isoformat(),
            "latitude": "26.909712",
            "longitude": "109.204511",
            "notes": "了解务工情况,宣讲产业政策",
            "photos": ["a" * 64],
        },
        headers=idempotent(staff.cadre),
    )
    assert visit.status_code == 201, visit.text
    future = await api.http.post(
        "/api/v1/visits",
        json={
            "household_id": ids[0],
            "visited_on": (today + dt.timedelta(days=1)).isoformat(),
            "notes": "预约",
        },
        headers=idempotent(staff.cadre),
    )
    assert future.status_code == 422
    under = await api.http.get(
        "/api/v1/visits/under-visited",
        params={"region_code": village, "month": today.isoformat()},
        headers=staff.headers("township_reviewer"),
    )
    assert {row["household_id"] for row in under.json()} == set(ids[1:])
    assert all(row["required"] == 1 and row["visits"] == 0 for row in under.json())

    # Two income measures are enough (2项以上), one is not; a schooling grant is not an income measure.
    async def measure(household_id: str, kind: str, description: str) -> None:
        r = await api.http.post(
            f"/api/v1/households/{household_id}/measures",
            json={
                "kind": kind,
                "description": description,
                "started_on": today.isoformat(),
                "amount_fen": 800000,
            },
            headers=idempotent(staff.cadre),
        )
        assert r.status_code == 201, r.text

    await measure(ids[0], "livestock", "养殖肉牛2头")
    await measure(ids[0], "transfer_employment", "浙江电子厂务工")
    await measure(ids[1], "solar", "户用光伏")
    await measure(ids[2], "education_aid", "雨露计划")
    short = await api.http.get(
        "/api/v1/measures/short", params={"region_code": village}, headers=staff.headers("cadre")
    )
    counts = {row["household_id"]: row["income_measures"] for row in short.json()}
    assert counts == {ids[1]: 1, ids[2]: 0, ids[3]: 0}

    # The household card (户有卡) and the village roster (村有册), as JSON and XLSX.
    card = (await api.http.get(f"/api/v1/households/{ids[0]}/card", headers=staff.headers("cadre"))).json()
    assert card["helper"]["name"] == "张干事"
    assert [m["kind_label"] for m in card["measures"]] == ["畜牧养殖", "转移就业"]
    assert card["recent_visits"][0]["notes"] == "了解务工情况,宣讲产业政策"
    assert card["cases"][0]["kind_label"] == "贫困户识别"
    workbook = await api.http.get(f"/api/v1/households/{ids[0]}/card.xlsx", headers=staff.headers("cadre"))
    assert workbook.headers["content-type"].startswith("application/vnd.openxmlformats")
    cells = [
        c
        for row in load_workbook(io.BytesIO(workbook.content)).active.iter_rows(values_only=True)
        for c in row
    ]
    assert households[0].members[0].name in cells
    assert households[0].members[0].id_number not in cells

    roster = (
        await api.http.get(f"/api/v1/divisions/{village}/roster", headers=staff.headers("cadre"))
    ).json()
    assert {row["household_id"] for row in roster["households"]} == set(ids)
    first = next(row for row in roster["households"] if row["household_id"] == ids[0])
    assert (first["helper_name"], first["income_measures"], first["status_label"]) == (
        "张干事",
        2,
        "已建档立卡",
    )
    sheet = await api.http.get(f"/api/v1/divisions/{village}/roster.xlsx", headers=staff.headers("cadre"))
    book = load_workbook(io.BytesIO(sheet.content))
    assert book.sheetnames == ["村册", "成员"]
    assert book["成员"].max_row == 1 + sum(len(h.members) for h in households)

    stranger = await api.create_user(
        system.admin_token, "cadre.other", ["cadre"], [synthetic.village_codes[9]]
    )
    assert (
        await api.http.get(f"/api/v1/divisions/{village}/roster", headers=auth(stranger))
    ).status_code == 404
    assert (
        await api.http.get(f"/api/v1/households/{ids[0]}/card", headers=auth(stranger))
    ).status_code == 404
