"""Data quality (001 [K]: 数据不缺、不矛盾): each rule finds what it should, and only that, per village."""

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import update

from services.registry.models import AssessmentView, Household, Member
from tests.registry.support import idempotent, make_staff, person, survey_body
from tests.support.system import RunningSystem, auth, eventually

TODAY = dt.date(2026, 11, 20)
VILLAGE = "522627004201"
ELSEWHERE = "522627004202"  # a village of the same township that the division tree does not list


def born(years: int, days: int = 0) -> dt.date:
    return TODAY.replace(year=TODAY.year - years) + dt.timedelta(days=days)


class Village:
    def __init__(self, system: RunningSystem, token: str) -> None:
        self.system = system
        self.token = token
        self.serial = 0

    def member(
        self, name: str, age: int, relation: str, *, male: bool = True, days: int = 0, **extra: Any
    ) -> dict:
        self.serial += 1
        return person(name, born(age, days), male=male, relation=relation, serial=self.serial, **extra)

    async def household(self, members: list[dict], village: str = VILLAGE, **changes: Any) -> dict:
        r = await self.system.api.http.post(
            "/api/v1/surveys", json=survey_body(village, members, **changes), headers=auth(self.token)
        )
        assert r.status_code == 201, r.text
        assert r.json()["status"] == "accepted", r.text
        read = await self.system.api.http.get(
            f"/api/v1/households/{r.json()['household_id']}", headers=auth(self.token)
        )
        return read.json()

    async def correct_member(self, household: dict, name: str, **fields: Any) -> dict:
        member = next(member for member in household["members"] if member["name"] == name)
        r = await self.system.api.http.patch(
            f"/api/v1/households/{household['id']}/members/{member['id']}",
            json={"base_version": household["version"], "reason": "录入测试数据", **fields},
            headers=auth(self.token),
        )
        assert r.status_code == 200, r.text
        return r.json()

    async def correct(self, household: dict, **fields: Any) -> dict:
        r = await self.system.api.http.patch(
            f"/api/v1/households/{household['id']}",
            json={"base_version": household["version"], "reason": "录入测试数据", **fields},
            headers=auth(self.token),
        )
        assert r.status_code == 200, r.text
        return r.json()


async def test_every_rule_finds_its_contradiction_and_the_clean_household_has_none(
    system: RunningSystem,
) -> None:
    api = system.api
    registry = system.app("registry")
    registry.state.clock.freeze(dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC))
    staff = await make_staff(system, VILLAGE)
    other = await api.create_user(system.admin_token, "cadre.next", ["cadre"], [ELSEWHERE])
    loaded = await api.http.post(
        "/api/v1/divisions",
        json={
            "divisions": [
                {"code": "522627000000", "name": "天柱县"},
                {"code": "522627004000", "name": "高酿镇"},
                {"code": VILLAGE, "name": "优洞村", "poor_village": "provincial", "groups": ["一组", "二组"]},
            ]
        },
        headers=idempotent(staff.county_approver),
    )
    assert loaded.status_code == 201, loaded.text
    village = Village(system, staff.cadre)
    m = village.member

    clean = await village.household(
        [
            m("王大山", 40, "head"),
            m("李小花", 38, "spouse", male=False),
            m("王小石", 10, "child", schooling_stage="primary"),
        ],
        profile={"education_secured": True, "main_cause": "illness"},
    )
    # A primary pupil of 16 is within the tolerance (5–16), one who turned 17 today is not;
    # a head of 40 in junior school is not either.
    school = await village.household(
        [
            m("张大海", 45, "head"),
            m("张一", 16, "child", days=-364, schooling_stage="primary"),
            m("张二", 17, "child", schooling_stage="primary", male=False),
        ]
    )
    school = await village.correct_member(school, "张大海", schooling_stage="junior")
    labour = await village.household(
        [m("刘长", 50, "head"), m("刘幼", 45, "child"), m("刘病", 48, "sibling")]
    )
    labour = await village.correct_member(labour, "刘病", labour_capacity="lost", months_worked=3)
    labour = await village.correct_member(labour, "刘病", health="disabled")
    education = await village.household(
        [m("陈父", 42, "head"), m("陈十", 10, "child", dropout=True), m("陈六", 16, "child", dropout=True)],
        profile={"education_secured": True},
    )
    money = await village.household([m("赵低", 60, "head")])  # its area is set to 0 below (phones cannot)
    money = await village.correct(money, category="dibao_poor")
    transfers = await village.household(
        [m("钱多", 55, "head")],
        profile={"dibao_allowance_fen": 50000},
        income={"wages_fen": 0, "transfer_fen": 30000},
    )
    headless = await village.household([m("孙甲", 33, "head"), m("孙乙", 31, "spouse", male=False)])
    miscounted = await village.household([m("周甲", 33, "head")])
    two_heads = await village.household([m("吴甲", 33, "head"), m("吴乙", 30, "sibling")])
    twin_a = await village.household([m("郑同名", 36, "head")])
    twin_b = await village.household(
        [m("郑同名", 36, "head", days=0) | {"name": "郑同名"}, m("郑妻", 35, "spouse", male=False)]
    )
    registered = await village.household([m("何登记", 44, "head")], bank_account=None)
    exited = await village.household([m("林脱贫", 47, "head")])
    outsider = await Village(system, other).household([m("马外村", 39, "head")], village=ELSEWHERE)

    def hid(h: dict) -> uuid.UUID:
        return uuid.UUID(h["id"])

    async def projected(household: dict) -> AssessmentView | None:
        async with registry.state.database.sessionmaker() as session:
            return await session.get(AssessmentView, hid(household))

    # The eligibility feed projects every new household's assessment; editing before it lands races it.
    await eventually(lambda: projected(exited))

    async with registry.state.database.sessionmaker() as session, session.begin():
        await session.execute(
            update(Member)
            .where(Member.household_id == hid(headless), Member.relation == "head")
            .values(relation="spouse")
        )
        await session.execute(update(Household).where(Household.id == hid(miscounted)).values(member_count=3))
        await session.execute(update(Household).where(Household.id == hid(money)).values(housing_area_m2=0))
        await session.execute(
            update(Member).where(Member.household_id == hid(two_heads)).values(relation="head")
        )
        await session.execute(
            update(Household).where(Household.id == hid(registered)).values(status="registered")
        )
        await session.execute(
            update(Household).where(Household.id == hid(exited)).values(status="exited", exit_year=2025)
        )
        await session.execute(
            update(AssessmentView)
            .where(AssessmentView.household_id == hid(exited))
            .values(poor=True, category="general_poor", exit_ready=False)
        )

    run = await api.http.post(
        "/api/v1/quality/runs",
        json={"region_code": "522627000000"},
        headers=idempotent(staff.county_approver),
    )
    assert run.status_code == 202, run.text

    async def finished() -> dict | None:
        await registry.state.quality_worker.run_pending()
        r = await api.http.get(
            f"/api/v1/quality/runs/{run.json()['id']}", headers=staff.headers("county_approver")
        )
        return r.json() if r.json()["status"] == "done" else None

    done = await eventually(finished)
    assert done["households_checked"] == 14

    report = await api.http.get(
        f"/api/v1/quality/villages/{VILLAGE}", params={"run_id": done["id"]}, headers=staff.headers("cadre")
    )
    assert report.status_code == 200, report.text
    found: dict[str, set[tuple[str, str | None]]] = {}
    for finding in report.json()["findings"]:
        found.setdefault(finding["rule"], set()).add((finding["household_id"], finding["member_name"]))

    def households_of(rule: str) -> set[str]:
        return {household for household, _member in found.get(rule, set())}

    assert clean["id"] not in {h for findings in found.values() for h, _ in findings}
    assert found["schooling_age_mismatch"] == {(school["id"], "张大海"), (school["id"], "张二")}
    assert found["lost_labour_but_working"] == {(labour["id"], "刘病")}
    assert found["disability_grade_mismatch"] == {(labour["id"], "刘病")}
    assert found["relation_age_inconsistent"] == {(labour["id"], "刘幼")}
    assert found["education_indicator_contradicted"] == {(education["id"], "陈十")}
    assert households_of("housing_area_zero") == {money["id"]}
    assert households_of("dibao_without_allowance") == {money["id"]}
    assert households_of("allowance_exceeds_transfers") == {transfers["id"]}
    assert households_of("no_head") == {headless["id"]}
    assert households_of("member_count_mismatch") == {miscounted["id"]}
    assert households_of("multiple_heads") == {two_heads["id"]}
    assert found["likely_duplicate_person"] == {(twin_a["id"], "郑同名"), (twin_b["id"], "郑同名")}
    assert households_of("registered_without_cause") == {registered["id"]}
    assert households_of("helped_without_helper") == {registered["id"], exited["id"]}
    assert households_of("helped_without_account") == {registered["id"]}
    assert households_of("too_few_income_measures") == {registered["id"], exited["id"]}
    assert households_of("exited_but_assessed_poor") == {exited["id"]}
    assert "unknown_village" not in found  # the village is in the tree
    counts = {row["rule"]: row["findings"] for row in report.json()["by_rule"]}
    assert counts["schooling_age_mismatch"] == 2

    # The other village's report: its village is missing from the loaded tree; its cadre sees only it.
    elsewhere = await api.http.get(
        f"/api/v1/quality/villages/{ELSEWHERE}", params={"run_id": done["id"]}, headers=auth(other)
    )
    assert {(f["rule"], f["household_id"]) for f in elsewhere.json()["findings"]} == {
        ("unknown_village", outsider["id"])
    }
    assert (await api.http.get(f"/api/v1/quality/villages/{VILLAGE}", headers=auth(other))).status_code == 404


async def test_scheduled_runs_cover_each_county_once_per_interval(system: RunningSystem) -> None:
    registry = system.app("registry")
    worker = registry.state.quality_worker
    staff = await make_staff(system, VILLAGE)
    village = Village(system, staff.cadre)
    await village.household([village.member("黄一", 40, "head")])
    await worker.schedule_due()  # the first round (the background loop may have queued it already)
    await worker.run_pending()
    assert await worker.schedule_due() == 0  # the last round is less than a day old
    registry.state.clock.advance(dt.timedelta(hours=25))
    assert await worker.schedule_due() == 1
    assert await worker.run_pending() == 1
    report = await system.api.http.get(f"/api/v1/quality/villages/{VILLAGE}", headers=staff.headers("cadre"))
    assert report.json()["run"]["trigger"] == "scheduled"
    assert report.json()["run"]["region_code"] == "522627000000"
