"""Eligibility through the gateway: policy lifecycle, assessments, ranking, bulk runs, simulation."""

import asyncio
import datetime as dt
import uuid
from typing import Any

from sqlalchemy import func, select

from services.eligibility.contract import AssessmentRecorded, EligibilityClient
from services.eligibility.household_inputs.service import apply_registry_event
from services.eligibility.models import (
    Assessment,
    AuditRecord,
    OutboxEvent,
    ReassessmentLane,
    ReassessmentRun,
)
from services.eligibility.reassessments.runner import process_chunk, run_to_end
from services.kit.http import ServiceTokenProvider
from services.kit.outbox import FeedEvent
from tests.support.system import RunningSystem, auth

COUNTY = "522627000000"
VILLAGE = "522627101201"
OTHER_VILLAGE = "522627101202"
TODAY = dt.date.today()


def birth(age: int) -> str:
    return (
        TODAY.replace(year=TODAY.year - age).isoformat()
        if TODAY.month != 2 or TODAY.day != 29
        else "1980-01-01"
    )


async def project(
    system: RunningSystem, village: str, income_yuan: int, members: int = 2, grade: str = "C"
) -> uuid.UUID:
    """A household as the registry's feed would announce it, applied by the eligibility projection."""
    household_id = uuid.uuid4()
    payload = {
        "household_id": str(household_id),
        "version": 1,
        "village_code": village,
        "status": "registered",
        "member_count": members,
        "per_capita_net_income_fen": income_yuan * 100,
        "housing_safety_grade": grade,
        "members": [
            {
                "member_id": str(uuid.uuid4()),
                "relation": "head" if index == 0 else "child",
                "sex": "male",
                "birth_date": birth(40 if index == 0 else 10),
                "labour_capacity": "normal" if index == 0 else "none",
            }
            for index in range(members)
        ],
    }
    event = FeedEvent(
        sequence=1,
        event_id=uuid.uuid4(),
        type="household.changed",
        key=str(household_id),
        occurred_at=dt.datetime.now(dt.UTC),
        payload=payload,
    )
    async with system.app("eligibility").state.database.sessionmaker() as session, session.begin():
        await apply_registry_event(session, event)
    return household_id


def override(line_yuan: int, **changes: Any) -> dict[str, Any]:
    document = {
        "code": "gz-tianzhu-line",
        "title_zh": "天柱县扶贫标准",
        "title_en": "Tianzhu county line",
        "region_code": COUNTY,
        "effective_from": "2020-01-01",
        "extends": "cn-national",
        "parameters": {"poverty_line_fen": {"values": {"2020-01-01": line_yuan * 100}}},
    }
    document.update(changes)
    return {"document": document, "reason": "县级标准"}


async def test_policy_lifecycle_draft_validate_publish_retire(system: RunningSystem) -> None:
    api = system.api
    approver = await api.create_user(system.admin_token, "approver.tz", ["county_approver"], [COUNTY])
    stranger = await api.create_user(
        system.admin_token, "approver.other", ["county_approver"], ["522628000000"]
    )
    cadre = await api.create_user(system.admin_token, "cadre.tz", ["cadre"], [VILLAGE])

    assert (
        await api.http.post("/api/v1/policies", json=override(4000), headers=auth(stranger))
    ).status_code == 403
    assert (
        await api.http.post("/api/v1/policies", json=override(4000), headers=auth(cadre))
    ).status_code == 403

    broken = override(
        4000,
        rules=[
            {
                "id": "income_below_line",
                "expression": "household.per_capita_net_incom_fen < params.poverty_lin",
                "reason_true_zh": "低",
                "reason_true_en": "low",
                "reason_false_zh": "不低",
                "reason_false_en": "not low",
            }
        ],
    )
    created = await api.http.post("/api/v1/policies", json=broken, headers=auth(approver))
    assert created.status_code == 201, created.text
    draft = created.json()
    assert (draft["status"], draft["status_label"], draft["policy_version"]) == ("draft", "草稿", 1)

    report = (await api.http.post("/api/v1/policies/validate", json=broken, headers=auth(approver))).json()
    assert report["valid"] is False
    assert "unknown variable 'household.per_capita_net_incom_fen'" in report["problems"][0]["message"]

    refused = await api.http.post(
        f"/api/v1/policies/{draft['id']}/publish",
        json={"version": 1, "reason": "发布"},
        headers=auth(approver),
    )
    assert refused.status_code == 422
    assert refused.json()["error"] == "policy_invalid"

    fixed = await api.http.put(
        f"/api/v1/policies/{draft['id']}", json={**override(4000), "version": 1}, headers=auth(approver)
    )
    assert fixed.status_code == 200, fixed.text
    published = await api.http.post(
        f"/api/v1/policies/{draft['id']}/publish",
        json={"version": 2, "reason": "发布", "reassess": False},
        headers=auth(approver),
    )
    assert published.status_code == 200, published.text
    body = published.json()
    assert body["status"] == "published"
    assert body["document"]["extends_version"] == 1
    assert len(body["document"]["rules"]) == 15  # resolved: the base's rules are in the stored version

    changed = await api.http.put(
        f"/api/v1/policies/{draft['id']}", json={**override(5000), "version": 3}, headers=auth(approver)
    )
    assert changed.status_code == 409
    codes = [p["code"] for p in (await api.http.get("/api/v1/policies", headers=auth(cadre))).json()]
    assert "gz-tianzhu-line" in codes

    retired = await api.http.post(
        f"/api/v1/policies/{draft['id']}/retire",
        json={"version": 3, "reason": "停用", "reassess": False},
        headers=auth(approver),
    )
    assert retired.json()["status"] == "retired"


async def test_assessment_explained_rerun_byte_for_byte_history_and_ranking(system: RunningSystem) -> None:
    api = system.api
    cadre = await api.create_user(system.admin_token, "cadre.rank", ["cadre"], [VILLAGE])
    outsider = await api.create_user(system.admin_token, "cadre.out", ["cadre"], [OTHER_VILLAGE])
    poorest = await project(system, VILLAGE, 1000)
    tied_a = await project(system, VILLAGE, 2000, members=3, grade="C")
    tied_b = await project(system, VILLAGE, 2000, members=3, grade="C")
    richer_tie = await project(system, VILLAGE, 2100, members=3, grade="C")
    well_off = await project(system, VILLAGE, 9000, grade="A")

    latest = await api.http.get(f"/api/v1/assessments/households/{poorest}/latest", headers=auth(cadre))
    assert latest.status_code == 200, latest.text
    body = latest.json()
    assert (body["category_label"], body["degree"], body["poor"]) == ("一般贫困户", "mild", True)
    assert body["rules"][0]["values"] == {
        "household.per_capita_net_income_fen": 100000,
        "params.poverty_line_fen": 333500,
    }
    assert {item["id"] for item in body["score_items"]} >= {"income", "housing"}
    hidden = await api.http.get(f"/api/v1/assessments/households/{poorest}/latest", headers=auth(outsider))
    assert hidden.status_code == 404

    rerun = await api.http.post(f"/api/v1/assessments/{body['id']}/rerun", headers=auth(cadre))
    assert rerun.json()["identical"] is True
    stored = {key: body[key] for key in rerun.json()["rerun"]}
    assert stored == rerun.json()["rerun"]

    history = await api.http.get(f"/api/v1/assessments/households/{poorest}/history", headers=auth(cadre))
    assert [entry["id"] for entry in history.json()] == [body["id"]]

    ranking = (await api.http.get(f"/api/v1/rankings/villages/{VILLAGE}", headers=auth(cadre))).json()
    order = [uuid.UUID(entry["household_id"]) for entry in ranking["households"]]
    assert order[0] == poorest
    assert order[1:3] == sorted([tied_a, tied_b], key=str)  # same score, income and size: by household id
    assert order[3] == richer_tie
    assert order[-1] == well_off
    assert [entry["rank"] for entry in ranking["households"]] == [1, 2, 3, 4, 5]

    # The registry's service client reads the same ranking over the internal API.
    links = system.system.links
    tokens = ServiceTokenProvider(links, "svc-registry", system.secrets.service_secrets["registry"])
    internal = await EligibilityClient(links, tokens).village_ranking(VILLAGE)
    assert [entry.household_id for entry in internal.households] == order


async def test_preview_needs_valid_codes_and_stores_nothing(system: RunningSystem) -> None:
    api = system.api
    cadre = await api.create_user(system.admin_token, "cadre.preview", ["cadre"], [VILLAGE])
    member = {"birth_date": "1950-01-01", "sex": "female", "labour_capacity": "lost"}
    household: dict[str, Any] = {"per_capita_net_income_fen": 180000, "members": [member]}
    response = await api.http.post(
        "/api/v1/assessments/preview",
        json={"village_code": VILLAGE, "as_of": "2026-11-01", "household": household},
        headers=auth(cadre),
    )
    assert response.status_code == 200, response.text
    programs = {p["code"]: p for p in response.json()["programs"]}
    assert programs["elderly_direct_subsidy"]["eligible"] is True
    assert response.json()["degree"] == "severe"
    member["labour_capacity"] = "retired"
    bad = await api.http.post(
        "/api/v1/assessments/preview",
        json={"village_code": VILLAGE, "household": household},
        headers=auth(cadre),
    )
    assert bad.status_code == 422
    assert bad.json()["fields"][0]["loc"] == ["body", "household", "members", 0, "labour_capacity"]
    member["labour_capacity"] = "lost"
    household["per_capita_net_income_fen"] = 8232207655350407528448  # found by fuzzing: was a 502
    beyond = await api.http.post(
        "/api/v1/assessments/preview",
        json={"village_code": VILLAGE, "household": household},
        headers=auth(cadre),
    )
    assert beyond.status_code == 422, beyond.text
    assert beyond.json()["fields"][0]["loc"] == ["body", "household", "per_capita_net_income_fen"]
    assert beyond.json()["request_id"]
    async with system.app("eligibility").state.database.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Assessment)) == 0


async def test_bulk_run_resumes_after_a_crash_and_publishes_only_changed_outcomes(
    system: RunningSystem,
) -> None:
    api = system.api
    eligibility = system.app("eligibility")
    await eligibility.state.reassessment_worker.stop()
    approver = await api.create_user(system.admin_token, "approver.bulk", ["county_approver"], [COUNTY])
    incomes = [1000, 3000, 3500, 3900, 4100, 8000] * 4
    households = [await project(system, VILLAGE, income) for income in incomes]
    database = eligibility.state.database

    async def events() -> int:
        async with database.sessionmaker() as session:
            statement = select(func.count()).where(OutboxEvent.type == "assessment.recorded")
            return int(await session.scalar(statement) or 0)

    before = await events()
    draft = (await api.http.post("/api/v1/policies", json=override(4000), headers=auth(approver))).json()
    published = await api.http.post(
        f"/api/v1/policies/{draft['id']}/publish",
        json={"version": 1, "reason": "新标准"},
        headers=auth(approver),
    )
    assert published.status_code == 200, published.text
    async with database.sessionmaker() as session:
        run = (await session.execute(select(ReassessmentRun))).scalar_one()
    assert run.total == len(households)

    first = await process_chunk(database, run.id, chunk_size=10)  # then the process "crashes"
    assert first is not None
    assert first.read == 10
    await run_to_end(database, run.id, chunk_size=10)  # a new worker resumes from the cursor

    progress = (await api.http.get(f"/api/v1/reassessments/{run.id}", headers=auth(approver))).json()
    assert (progress["status"], progress["status_label"]) == ("completed", "已完成")
    assert progress["processed"] == len(households)
    # Under a 4,000 line 3,500 and 3,900 become poor and the income item of every score moves, except
    # where it was already at a band's end: only those changed outcomes were announced.
    async with database.sessionmaker() as session:
        rows = (
            await session.execute(select(Assessment.household_id).where(Assessment.run_id == run.id))
        ).all()
    assert sorted(row.household_id for row in rows) == sorted(households)  # each once, none twice
    assert await events() - before == progress["changed"]
    assert 0 < progress["changed"] < len(households)
    async with database.sessionmaker() as session:
        payloads = (
            await session.execute(
                select(OutboxEvent.payload).where(OutboxEvent.type == "assessment.recorded")
            )
        ).scalars()
        announced = [AssessmentRecorded.model_validate(payload) for payload in payloads]
    from_run = [event for event in announced if event.run_id == run.id]
    assert len(from_run) == progress["changed"]
    assert {event.policy_code for event in from_run} == {"gz-tianzhu-line"}
    latest = await api.http.get(
        f"/api/v1/assessments/households/{households[2]}/latest", headers=auth(approver)
    )
    assert latest.json()["policy_code"] == "gz-tianzhu-line"
    assert latest.json()["category"] == "general_poor"

    again = await api.http.post(
        "/api/v1/reassessments", json={"region_code": COUNTY, "reason": "复核"}, headers=auth(approver)
    )
    assert again.status_code == 202
    await run_to_end(database, uuid.UUID(again.json()["id"]))
    assert await events() - before == progress["changed"]  # nothing changed, nothing announced


async def test_replicas_racing_over_a_run_assess_each_household_once(system: RunningSystem) -> None:
    api = system.api
    eligibility = system.app("eligibility")
    await eligibility.state.reassessment_worker.stop()
    approver = await api.create_user(system.admin_token, "approver.race", ["county_approver"], [COUNTY])
    households = [await project(system, VILLAGE, 1000 + 250 * index) for index in range(30)]
    database = eligibility.state.database
    queued = await api.http.post(
        "/api/v1/reassessments",
        json={
            "region_code": COUNTY,
            "reason": "并行复核",
            "as_of": (TODAY - dt.timedelta(days=1)).isoformat(),
        },
        headers=auth(approver),
    )
    assert queued.status_code == 202, queued.text
    run_id = uuid.UUID(queued.json()["id"])

    # Two replicas, three sessions each, reach for the run's three lanes at the same moment.
    chunks = await asyncio.gather(
        run_to_end(database, run_id, chunk_size=4, lanes=3),
        run_to_end(database, run_id, chunk_size=4, lanes=3),
    )

    assert sum(chunks) == 3 * 3  # 10 households a lane, in chunks of 4, 4 and 2: none read twice
    async with database.sessionmaker() as session:
        lanes = (
            await session.execute(select(ReassessmentLane).where(ReassessmentLane.run_id == run_id))
        ).scalars()
        assert sorted((lane.lane, lane.finished) for lane in lanes) == [(0, True), (1, True), (2, True)]
        assessed = (
            await session.execute(select(Assessment.household_id).where(Assessment.run_id == run_id))
        ).scalars()
        assert sorted(assessed) == sorted(households)  # each once, none twice, none left out
        completions = await session.scalar(
            select(func.count()).where(
                AuditRecord.action == "reassessment.completed", AuditRecord.entity_id == str(run_id)
            )
        )
        assert completions == 1
    progress = (await api.http.get(f"/api/v1/reassessments/{run_id}", headers=auth(approver))).json()
    assert (progress["status"], progress["processed"], progress["total"]) == ("completed", 30, 30)


async def test_simulation_counts_who_enters_and_stores_nothing(system: RunningSystem) -> None:
    api = system.api
    approver = await api.create_user(system.admin_token, "approver.sim", ["county_approver"], [COUNTY])
    for income in (1000, 3500, 3900, 5000):
        await project(system, VILLAGE, income)
    await project(system, OTHER_VILLAGE, 3600)
    draft = (await api.http.post("/api/v1/policies", json=override(4000), headers=auth(approver))).json()
    async with system.app("eligibility").state.database.sessionmaker() as session:
        stored_before = await session.scalar(select(func.count()).select_from(Assessment))
    result = await api.http.post(
        f"/api/v1/policies/{draft['id']}/simulate", json={"sample_size": 2}, headers=auth(approver)
    )
    assert result.status_code == 200, result.text
    body = result.json()
    assert (body["households"], body["entering"], body["exiting"]) == (5, 3, 0)
    counts = {(c["village_code"], c["category"]): c for c in body["by_village_category"]}
    assert counts[(VILLAGE, "general_poor")]["entering"] == 2
    assert counts[(OTHER_VILLAGE, "general_poor")]["entering"] == 1
    assert len(body["sample"]) == 2
    async with system.app("eligibility").state.database.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Assessment)) == stored_before
