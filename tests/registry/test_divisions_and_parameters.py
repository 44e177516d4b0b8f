"""Divisions as a tree, parameters as dated regional data, duplicate review; also on the embedded SQLite."""

import datetime as dt

from stdnum.cn import ric

from tests.registry.support import county, idempotent, make_staff, submit_survey
from tests.support.system import RunningSystem, auth, eventually

COUNTY_CODE = "522627000000"
TOWNSHIP = "522627001000"
VILLAGE = "522627001201"


async def test_division_tree_parameters_roster_and_quality_on_both_databases(
    any_system: RunningSystem,
) -> None:
    api = any_system.api
    staff = await make_staff(any_system, VILLAGE)
    above = {
        "divisions": [
            {"code": "520000000000", "name": "贵州省"},
            {"code": "522600000000", "name": "黔东南苗族侗族自治州"},
        ]
    }
    outside = await api.http.post("/api/v1/divisions", json=above, headers=idempotent(staff.county_approver))
    assert outside.status_code == 422  # above the county approver's county
    by_admin = await api.http.post(
        "/api/v1/divisions", json=above, headers=idempotent(any_system.admin_token)
    )
    assert by_admin.status_code == 201, by_admin.text
    tree = {
        "divisions": [
            {"code": COUNTY_CODE, "name": "天柱县"},
            {"code": TOWNSHIP, "name": "凤城街道"},
            {"code": VILLAGE, "name": "甘洞村", "poor_village": "county", "groups": ["一组", "二组"]},
            {"code": "522627001202", "name": "木杉村"},
        ]
    }
    headers = idempotent(staff.county_approver)
    loaded = await api.http.post("/api/v1/divisions", json=tree, headers=headers)
    assert (loaded.status_code, loaded.json()) == (201, {"created": 4, "updated": 0})
    replayed = await api.http.post("/api/v1/divisions", json=tree, headers=headers)
    assert replayed.status_code == 200
    bad = await api.http.post(
        "/api/v1/divisions",
        json={"divisions": [{"code": TOWNSHIP, "name": "凤城街道", "poor_village": "county"}]},
        headers=idempotent(staff.county_approver),
    )
    assert bad.status_code == 422  # a poor-village flag belongs to a village

    township = (
        await api.http.get(f"/api/v1/divisions/{TOWNSHIP}", headers=staff.headers("township_reviewer"))
    ).json()
    assert township["parent_code"] == COUNTY_CODE
    assert [child["code"] for child in township["children"]] == [VILLAGE, "522627001202"]
    seen_by_cadre = (
        await api.http.get(f"/api/v1/divisions/{TOWNSHIP}", headers=staff.headers("cadre"))
    ).json()
    assert [child["code"] for child in seen_by_cadre["children"]] == [
        VILLAGE
    ]  # only the way down to its village
    assert (
        await api.http.get("/api/v1/divisions/522628000000", headers=staff.headers("cadre"))
    ).status_code == 404

    village = (await api.http.get(f"/api/v1/divisions/{VILLAGE}", headers=staff.headers("cadre"))).json()
    assert (village["poor_village_label"], village["exit_status_label"]) == ("县定贫困村", "未出列")
    exited = await api.http.patch(
        f"/api/v1/divisions/{VILLAGE}",
        json={
            "base_version": village["version"],
            "reason": "贫困村出列验收通过",
            "exited": True,
            "exit_year": 2026,
        },
        headers=staff.headers("county_approver"),
    )
    assert exited.json()["exit_status_label"] == "已出列"
    stale = await api.http.patch(
        f"/api/v1/divisions/{VILLAGE}",
        json={"base_version": village["version"], "reason": "再改", "first_secretary": "杨书记"},
        headers=staff.headers("county_approver"),
    )
    assert stale.json()["error"] == "stale_version"

    # Parameters: shipped with their source; a county adds its own value from a date, never a national one.
    params = (
        await api.http.get(
            "/api/v1/registry/parameters", params={"region_code": VILLAGE}, headers=staff.headers("cadre")
        )
    ).json()
    by_key = {p["key"]: p for p in params}
    assert by_key["identification_village_notice_days"]["value"] == 7
    assert "002" in by_key["identification_village_notice_days"]["source"]
    assert by_key["deliberation_min_attendance"]["value"] == 50
    future = dt.date.today() + dt.timedelta(days=30)
    added = await api.http.post(
        "/api/v1/registry/parameters",
        json={
            "key": "visit_min_per_month",
            "region_code": COUNTY_CODE,
            "effective_from": future.isoformat(),
            "value": 2,
            "source": "县扶贫办通知",
        },
        headers=idempotent(staff.county_approver),
    )
    assert added.status_code == 201, added.text
    still = {
        p["key"]: p["value"]
        for p in (
            await api.http.get(
                "/api/v1/registry/parameters", params={"region_code": VILLAGE}, headers=staff.headers("cadre")
            )
        ).json()
    }
    assert still["visit_min_per_month"] == 1
    later = {
        p["key"]: p["value"]
        for p in (
            await api.http.get(
                "/api/v1/registry/parameters",
                params={"region_code": VILLAGE, "on": future.isoformat()},
                headers=staff.headers("cadre"),
            )
        ).json()
    }
    assert later["visit_min_per_month"] == 2
    for body, status in (
        ({"key": "visit_min_per_month", "value": -1}, 422),
        ({"key": "no_such_number", "value": 1}, 422),
        ({"key": "pairing_quota", "value": {"general": 1}}, 422),
        ({"key": "visit_min_per_month", "value": 3, "region_code": "000000000000"}, 403),
    ):
        r = await api.http.post(
            "/api/v1/registry/parameters",
            json={"region_code": COUNTY_CODE, "effective_from": "2027-01-01", "source": "测试", **body},
            headers=idempotent(staff.county_approver),
        )
        assert r.status_code == status, (body, r.text)

    # A surveyed household shows up in a data-quality run (here: no bank account needed, only a clean run).
    synthetic = county(91)
    household = next(synthetic.households(1, VILLAGE))
    created = await submit_survey(api.http, staff.cadre, household)
    run = await api.http.post(
        "/api/v1/quality/runs", json={"region_code": VILLAGE}, headers=idempotent(staff.village_officer)
    )
    registry = any_system.app("registry")

    async def done() -> dict | None:
        await registry.state.quality_worker.run_pending()
        r = await api.http.get(
            f"/api/v1/quality/runs/{run.json()['id']}", headers=staff.headers("village_officer")
        )
        return r.json() if r.json()["status"] in ("done", "failed") else None

    finished = await eventually(done)
    assert (finished["status"], finished["households_checked"]) == ("done", 1), finished
    assert created["household_id"]


async def test_likely_duplicates_are_reviewed_not_refused(system: RunningSystem) -> None:
    api = system.api
    synthetic = county(92)
    village = synthetic.village_codes[0]
    staff = await make_staff(system, village)
    first, second = list(synthetic.households(2, village))
    await submit_survey(api.http, staff.cadre, first)
    twin = dict(first.survey()["members"][0])
    body = second.survey()
    number = twin["id_number"]
    other = number[:14] + f"{(int(number[14:17]) + 4) % 1000:03d}"
    twin.update(relation="other", id_number=other + ric.calc_check_digit(other + "0"))
    body["members"].append(twin)
    accepted = await api.http.post("/api/v1/surveys", json=body, headers=auth(staff.cadre))
    assert accepted.json()["status"] == "accepted", accepted.text

    flags = (
        await api.http.get("/api/v1/registry/duplicates", headers=staff.headers("village_officer"))
    ).json()
    assert len(flags) == 1
    refused = await api.http.post(
        f"/api/v1/registry/duplicates/{flags[0]['id']}/resolution",
        json={"outcome": "distinct", "reason": "两人同名同生日,经户籍核实为不同人"},
        headers=staff.headers("cadre"),
    )
    assert refused.status_code == 403
    resolved = await api.http.post(
        f"/api/v1/registry/duplicates/{flags[0]['id']}/resolution",
        json={"outcome": "distinct", "reason": "两人同名同生日,经户籍核实为不同人"},
        headers=staff.headers("village_officer"),
    )
    assert resolved.json()["status"] == "distinct"
    assert (
        await api.http.get("/api/v1/registry/duplicates", headers=staff.headers("village_officer"))
    ).json() == []
