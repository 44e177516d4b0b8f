"""Identification (精准识别): the eight steps of seed 002, each by its role, with three notices."""

import datetime as dt
from typing import Any

from sqlalchemy import select

from services.registry.models import OutboxEvent
from tests.registry.support import (
    POOR_INCOME,
    Staff,
    county,
    do_step,
    get_case,
    idempotent,
    make_staff,
    submit_survey,
)
from tests.support.system import RunningSystem, auth, eventually

START = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing, 20 November 2026


async def _ranked(system: RunningSystem, staff: Staff, household_ids: list[str]) -> None:
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


async def _open_identification(system: RunningSystem, staff: Staff, household_id: str) -> dict[str, Any]:
    r = await system.api.http.post(
        "/api/v1/cases",
        json={"kind": "identification", "household_id": household_id, "note": "农户提交申请书"},
        headers=idempotent(staff.village_officer),
    )
    assert r.status_code == 201, r.text
    return r.json()


async def _post_notice(
    system: RunningSystem, token: str, village: str, step: str, kind: str = "identification"
) -> dict[str, Any]:
    r = await system.api.http.post(
        "/api/v1/notices",
        json={"village_code": village, "case_kind": kind, "step": step},
        headers=idempotent(token),
    )
    assert r.status_code == 201, r.text
    return r.json()


async def _close(system: RunningSystem, token: str, notice: dict[str, Any]) -> Any:
    return await system.api.http.post(
        f"/api/v1/notices/{notice['id']}/close",
        json={"notice_version": notice["version"]},
        headers=auth(token),
    )


async def test_a_household_goes_through_the_eight_steps_to_registration(system: RunningSystem) -> None:
    api = system.api
    clock = system.app("registry").state.clock
    clock.freeze(START)
    synthetic = county(51)
    village = synthetic.village_codes[0]
    staff = await make_staff(system, village)
    kept, objected = list(synthetic.households(2, village))
    kept_id = (await submit_survey(api.http, staff.cadre, kept, income=POOR_INCOME))["household_id"]
    objected_id = (await submit_survey(api.http, staff.cadre, objected, income=POOR_INCOME))["household_id"]
    await _ranked(system, staff, [kept_id, objected_id])

    # 1. Application, at the village committee.
    cadre_cannot_review = await api.http.post(
        "/api/v1/cases",
        json={"kind": "identification", "household_id": kept_id},
        headers=idempotent(staff.township_reviewer),
    )
    assert cadre_cannot_review.status_code == 403
    case = await _open_identification(system, staff, kept_id)
    other = await _open_identification(system, staff, objected_id)
    assert case["steps"][0]["step"] == "application"
    assert case["steps"][0]["actor_role_label"] == "村干部"
    assert case["step"] == "survey"

    # 2. Household survey by the survey team (a cadre); a village deliberation cannot jump ahead.
    early = await api.http.post(
        "/api/v1/deliberations",
        json={
            "village_code": village,
            "meeting_date": "2026-11-20",
            "attendance": 60,
            "chair": "王书记",
            "convened_by": "李副乡长",
        },
        headers=idempotent(staff.village_officer),
    )
    assert early.status_code == 409
    case = await do_step(api.http, staff.cadre, case, note="入户察看、邻里访问、计算收入")
    other = await do_step(api.http, staff.cadre, other)
    assert case["step"] == "village_deliberation"

    # 3. Village deliberation: at least 50 people, ranked by the eligibility service's score.
    meeting = {
        "village_code": village,
        "meeting_date": "2026-11-20",
        "chair": "王书记",
        "convened_by": "李副乡长",
    }
    too_few = await api.http.post(
        "/api/v1/deliberations", json={**meeting, "attendance": 49}, headers=idempotent(staff.village_officer)
    )
    assert too_few.status_code == 422
    assert too_few.json()["fields"][0]["message_zh"] == "参加人数不少于50人"
    deliberation = await api.http.post(
        "/api/v1/deliberations", json={**meeting, "attendance": 50}, headers=idempotent(staff.village_officer)
    )
    assert deliberation.status_code == 201, deliberation.text
    ranking = deliberation.json()["ranking"]
    assert {row["household_id"] for row in ranking} == {kept_id, objected_id}
    assert [row["rank"] for row in ranking] == sorted(row["rank"] for row in ranking)
    assert all(row["policy_code"] and row["policy_version"] >= 1 for row in ranking)

    # First notice (village, 7 days): the list is masked, objections are taken until the period ends.
    notice = await _post_notice(system, staff.village_officer, village, "first_notice")
    assert (
        notice["ends_at"] == "2026-11-27T16:00:00Z"
    )  # 24:00 on 27 November in Beijing: 7 days from the 21st
    entries = {entry["household_id"]: entry for entry in notice["entries"]}
    head = kept.members[0]
    assert (
        entries[kept_id]["head_name_masked"] == head.name[0] + "*" * (len(head.name) - 2) + head.name[-1]
        if len(head.name) > 2
        else head.name[0] + "*"
    )
    assert entries[kept_id]["head_id_masked"] == head.id_number[:4] + "*" * 10 + head.id_number[-4:]
    page = await api.http.get(f"/api/v1/notices/{notice['id']}/page", headers=staff.headers("cadre"))
    assert page.headers["content-type"].startswith("text/html")
    assert "一榜公示" in page.text
    assert head.name not in page.text
    assert head.id_number not in page.text

    clock.freeze(dt.datetime(2026, 11, 27, 15, 59, 59, tzinfo=dt.UTC))
    assert (await _close(system, staff.village_officer, notice)).json()["error"] == "notice_period_running"
    for household_id, content in ((kept_id, "该户有稳定务工收入"), (objected_id, "该户家中有小轿车")):
        lodged = await api.http.post(
            f"/api/v1/notices/{notice['id']}/objections",
            json={"household_id": household_id, "objector": "村民甲", "content": content},
            headers=idempotent(staff.cadre),
        )
        assert lodged.status_code == 201, lodged.text
    clock.freeze(dt.datetime(2026, 11, 27, 16, 0, tzinfo=dt.UTC))
    late = await api.http.post(
        f"/api/v1/notices/{notice['id']}/objections",
        json={"household_id": kept_id, "content": "期满后的异议"},
        headers=idempotent(staff.cadre),
    )
    assert late.json()["error"] == "notice_period_over"
    assert (await _close(system, staff.village_officer, notice)).json()["error"] == "objections_open"

    objections = (
        await api.http.get(f"/api/v1/notices/{notice['id']}", headers=staff.headers("cadre"))
    ).json()["objections"]
    for objection in objections:
        upheld = objection["household_id"] == objected_id
        resolved = await api.http.post(
            f"/api/v1/notices/{notice['id']}/objections/{objection['id']}/resolution",
            json={
                "outcome": "upheld" if upheld else "dismissed",
                "reason": "经核实属实" if upheld else "务工收入不稳定,经核实不影响",
            },
            headers=staff.headers("township_reviewer"),
        )
        assert resolved.status_code == 200, resolved.text
    current = (await api.http.get(f"/api/v1/notices/{notice['id']}", headers=staff.headers("cadre"))).json()
    closed = await _close(system, staff.village_officer, current)
    assert closed.status_code == 200, closed.text
    outcomes = {entry["household_id"]: entry["outcome"] for entry in closed.json()["entries"]}
    assert outcomes == {kept_id: "passed", objected_id: "removed"}

    rejected = await get_case(api.http, staff.cadre, other["id"])
    assert rejected["status"] == "rejected"
    assert "经核实属实" in rejected["outcome_reason"]
    left = (await api.http.get(f"/api/v1/households/{objected_id}", headers=staff.headers("cadre"))).json()
    assert left["status"] == "not_poor"

    # 4-5. Revisit and township review, by the township; a cadre may not do them.
    case = await get_case(api.http, staff.cadre, case["id"])
    assert case["step"] == "revisit"
    wrong_role = await api.http.post(
        f"/api/v1/cases/{case['id']}/steps",
        json={"step": "revisit", "case_version": case["version"]},
        headers=staff.headers("cadre"),
    )
    assert wrong_role.status_code == 403
    case = await do_step(api.http, staff.township_reviewer, case, note="回访核查属实")
    stale = await api.http.post(
        f"/api/v1/cases/{case['id']}/steps",
        json={"step": "township_review", "case_version": case["version"] - 1},
        headers=staff.headers("township_reviewer"),
    )
    assert stale.json()["error"] == "stale_version"
    case = await do_step(api.http, staff.township_reviewer, case, note="乡镇党委会研究同意")

    # Second notice (township, 7 days).
    notice = await _post_notice(system, staff.township_reviewer, village, "second_notice")
    clock.advance(dt.timedelta(days=8))
    assert (await _close(system, staff.township_reviewer, notice)).status_code == 200

    # 6. County confirmation with its approval document; third notice, online: readable without a token.
    case = await get_case(api.http, staff.cadre, case["id"])
    case = await do_step(api.http, staff.county_approver, case, document_no="天扶办发〔2026〕12号")
    assert case["steps"][-1]["data"]["document_no"] == "天扶办发〔2026〕12号"
    notice = await _post_notice(system, staff.county_approver, village, "third_notice")
    assert notice["online"] is True
    public = await api.http.get(f"/api/v1/notices/{notice['id']}")
    assert public.status_code == 200
    assert public.json()["entries"][0]["household_id"] == kept_id
    clock.advance(dt.timedelta(days=8))
    assert (await _close(system, staff.county_approver, notice)).status_code == 200

    # 7-8. Data entry by the township, registration by the county: the household is registered.
    case = await get_case(api.http, staff.cadre, case["id"])
    case = await do_step(api.http, staff.township_reviewer, case)
    case = await do_step(api.http, staff.county_approver, case)
    assert case["status"] == "completed"
    assert [step["step"] for step in case["steps"]] == [
        "application",
        "survey",
        "village_deliberation",
        "first_notice",
        "revisit",
        "township_review",
        "second_notice",
        "county_confirmation",
        "third_notice",
        "data_entry",
        "registration",
    ]
    household = (await api.http.get(f"/api/v1/households/{kept_id}", headers=staff.headers("cadre"))).json()
    assert household["status_label"] == "已建档立卡"
    assert household["registered_on"] == "2026-12-14"  # 28 November + 8 + 8 days, Beijing calendar
    assert household["category"] in ("general_poor", "dibao_poor", "wubao")
    history = (
        await api.http.get(f"/api/v1/households/{kept_id}/status-history", headers=staff.headers("cadre"))
    ).json()
    assert [(h["from_status"], h["to_status"]) for h in history] == [("applicant", "registered")]
    async with system.app("registry").state.database.sessionmaker() as session:
        last = (
            await session.scalars(
                select(OutboxEvent.payload)
                .where(OutboxEvent.key == kept_id)
                .order_by(OutboxEvent.id.desc())
                .limit(1)
            )
        ).one()
    assert (last["status"], last["version"], last["status_changed"]) == (
        "registered",
        household["version"],
        True,
    )


async def test_a_case_cannot_be_opened_twice_or_outside_ones_regions(system: RunningSystem) -> None:
    api = system.api
    synthetic = county(52)
    village, elsewhere = synthetic.village_codes[0], synthetic.village_codes[7]
    staff = await make_staff(system, village)
    household_id = (await submit_survey(api.http, staff.cadre, next(synthetic.households(1, village))))[
        "household_id"
    ]
    body = {"kind": "identification", "household_id": household_id}
    headers = idempotent(staff.village_officer)
    first = await api.http.post("/api/v1/cases", json=body, headers=headers)
    again = await api.http.post("/api/v1/cases", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    reused = await api.http.post("/api/v1/cases", json={**body, "note": "另一份"}, headers=headers)
    assert reused.json()["error"] == "idempotency_key_reused"
    second = await api.http.post("/api/v1/cases", json=body, headers=idempotent(staff.village_officer))
    assert second.json()["error"] == "case_already_open"

    stranger = await api.create_user(system.admin_token, "village.far", ["village_officer"], [elsewhere])
    assert (
        await api.http.get(f"/api/v1/cases/{first.json()['id']}", headers=auth(stranger))
    ).status_code == 404
    outside = await api.http.post("/api/v1/cases", json=body, headers=idempotent(stranger))
    assert outside.status_code == 404
