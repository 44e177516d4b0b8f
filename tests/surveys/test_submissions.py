"""Submitting surveys from the phone: idempotency, conflicts kept for review, batches, forms, evidence."""

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import func, select

from services.registry.models import AuditRecord, Case, Household, HouseholdVersion, SurveySubmission
from tests.support.system import RunningSystem, auth, eventually
from tests.surveys.support import SURVEYS, households, make_team, revision


async def test_resending_returns_the_first_result_and_another_body_gets_409(
    any_system: RunningSystem,
) -> None:
    http = any_system.api.http
    (household,) = households(1, 1)
    team = await make_team(any_system, household.village_code)
    body = household.survey()

    first = await http.post(SURVEYS, json=body, headers=team.as_cadre())
    again = await http.post(SURVEYS, json=body, headers=team.as_cadre())
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "accepted"
    assert first.json()["status_label"] == "已采纳"
    assert again.status_code == 200
    assert again.json() == first.json()

    body["income"]["wages_fen"] += 1
    reused = await http.post(SURVEYS, json=body, headers=team.as_cadre())
    assert reused.status_code == 409
    assert reused.json()["error"] == "submission_id_reused"
    assert reused.json()["detail_zh"]
    assert await any_system.rows("registry", Household) == 1
    assert await any_system.rows("registry", SurveySubmission) == 1
    async with any_system.app("registry").state.database.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Case)) == 0  # the village opens cases


async def test_where_surveys_are_applications_a_new_household_opens_its_case(system: RunningSystem) -> None:
    (household,) = households(8, 1)
    team = await make_team(system, household.village_code)
    system.app("registry").state.settings.survey_opens_identification_case = True
    created = await system.api.http.post(SURVEYS, json=household.survey(), headers=team.as_cadre())
    assert created.json()["status"] == "accepted", created.text
    household_id = uuid.UUID(created.json()["household_id"])
    async with system.app("registry").state.database.sessionmaker() as session:
        case = (await session.execute(select(Case).where(Case.household_id == household_id))).scalar_one()
    # The survey was the application and the household survey (002, steps 1 and 2), both by the cadre.
    assert (case.kind, case.step) == ("identification", "village_deliberation")


async def test_a_stale_survey_is_kept_for_review_and_resolved_field_by_field(system: RunningSystem) -> None:
    http = system.api.http
    (household,) = households(2, 1)
    team = await make_team(system, household.village_code)
    created = (await http.post(SURVEYS, json=household.survey(), headers=team.as_cadre())).json()
    household_id = created["household_id"]

    # The other cadre revises first: wages and housing grade change (version 2).
    newer = revision(household, household_id, 1)
    newer["income"]["wages_fen"] = 111_100
    newer["housing"]["safety_grade"] = "D"
    accepted = await http.post(SURVEYS, json=newer, headers=auth(team.other_cadre))
    assert accepted.json()["status"] == "accepted", accepted.text
    assert accepted.json()["household_version"] == 2

    # The first cadre's phone, still on version 1, sends a survey with other wages and transfers.
    stale = revision(household, household_id, 1)
    stale["income"]["wages_fen"] = 222_200
    stale["income"]["transfer_fen"] = 33_300
    kept = await http.post(SURVEYS, json=stale, headers=team.as_cadre())
    assert kept.status_code == 201, kept.text
    result = kept.json()
    assert (result["status"], result["reason_code"]) == ("needs_review", "stale_version")
    assert result["status_label"] == "待审核"
    assert "第 1 版" in result["reason_zh"]
    read = (await http.get(f"/api/v1/households/{household_id}", headers=team.as_cadre())).json()
    assert (read["version"], read["wages_fen"], read["housing_safety_grade"]) == (2, 111_100, "D")

    # The reviewer sees the comparison and must choose each differing field.
    submission = result["submission_id"]
    view = (await http.get(f"{SURVEYS}/{submission}/review", headers=team.as_reviewer())).json()
    differing = {field["path"] for field in view["fields"] if field["differs"]}
    assert {"income.wages_fen", "income.transfer_fen", "housing.safety_grade"} <= differing
    assert view["current_version"] == 2
    partial = await http.post(
        f"{SURVEYS}/{submission}/decision",
        headers=team.as_reviewer(),
        json={
            "decision": "accept",
            "reason": "核实后采用",
            "base_version": 2,
            "choices": {"income.wages_fen": "submitted"},
        },
    )
    assert partial.status_code == 422
    assert {tuple(f["loc"]) for f in partial.json()["fields"]} >= {
        ("body", "choices", "housing.safety_grade")
    }

    choices = dict.fromkeys(differing, "current") | {"income.wages_fen": "submitted"}
    decided = await http.post(
        f"{SURVEYS}/{submission}/decision",
        headers=team.as_reviewer(),
        json={"decision": "accept", "reason": "工资以本次入户为准", "base_version": 2, "choices": choices},
    )
    assert decided.status_code == 200, decided.text
    assert (decided.json()["status"], decided.json()["household_version"]) == ("accepted", 3)
    read = (await http.get(f"/api/v1/households/{household_id}", headers=team.as_cadre())).json()
    assert (read["version"], read["wages_fen"]) == (3, 222_200)
    assert read["housing_safety_grade"] == "D"  # the newer value the reviewer kept
    assert read["transfer_fen"] == household.income["transfer_fen"]

    async with system.app("registry").state.database.sessionmaker() as session:
        audit = (
            await session.execute(
                select(AuditRecord).where(
                    AuditRecord.action == "survey.accept", AuditRecord.entity_id == submission
                )
            )
        ).scalar_one()
        version = await session.get(HouseholdVersion, (uuid.UUID(household_id), 3))
    assert audit.detail["choices"]["income.wages_fen"] == "submitted"
    assert audit.detail["choices"]["housing.safety_grade"] == "current"
    assert version is not None
    assert "工资以本次入户为准" in version.reason

    again = await http.post(
        f"{SURVEYS}/{submission}/decision",
        headers=team.as_reviewer(),
        json={"decision": "reject", "reason": "重复"},
    )
    assert again.status_code == 409


async def test_a_rejection_reaches_the_cadre_with_its_reason(system: RunningSystem) -> None:
    http = system.api.http
    (household,) = households(3, 1)
    team = await make_team(system, household.village_code)
    body = household.survey()
    body["housing"]["area_m2"] = 4000  # possible, not plausible: accepted, flagged for review
    flagged = await http.post(SURVEYS, json=body, headers=team.as_cadre())
    assert flagged.status_code == 201, flagged.text
    result = flagged.json()
    assert (result["status"], result["reason_code"], result["household_id"]) == (
        "needs_review",
        "implausible_values",
        None,
    )
    assert any(
        flag["loc"] == ["body", "housing", "area_m2"] and flag["message_zh"] for flag in result["flags"]
    )

    own = await http.post(
        f"{SURVEYS}/{result['submission_id']}/decision",
        headers=team.as_cadre(),
        json={"decision": "reject", "reason": "自己审核"},
    )
    assert own.status_code == 403
    rejected = await http.post(
        f"{SURVEYS}/{result['submission_id']}/decision",
        headers=team.as_reviewer(),
        json={"decision": "reject", "reason": "面积填写错误,请复核"},
    )
    assert rejected.status_code == 200, rejected.text
    status = (await http.get(f"{SURVEYS}/{result['submission_id']}", headers=team.as_cadre())).json()
    assert (status["status"], status["status_label"], status["reason_zh"]) == (
        "rejected",
        "已退回",
        "面积填写错误,请复核",
    )
    assert await system.rows("registry", Household) == 0


async def test_validation_errors_are_bilingual_with_field_paths(any_system: RunningSystem) -> None:
    http = any_system.api.http
    (household,) = households(4, 1)
    team = await make_team(any_system, household.village_code)
    body = household.survey()
    body["members"][0]["birth_date"] = "1890-01-01"
    body["answers"] = {"distance_to_road_km": 900, "no_such_field": 1}
    body["captured_at"] = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)).isoformat()
    refused = await http.post(SURVEYS, json=body, headers=team.as_cadre())
    assert refused.status_code == 422, refused.text
    fields = {tuple(field["loc"]): field for field in refused.json()["fields"]}
    assert ("body", "members", 0, "birth_date") in fields
    assert ("body", "answers", "distance_to_road_km") in fields
    assert ("body", "answers", "no_such_field") in fields
    assert fields[("body", "captured_at")]["type"] == "captured_in_future"
    assert all(field["message"] and field["message_zh"] for field in fields.values())

    structural = await http.post(
        SURVEYS, json={**household.survey(), "income": {"wages_fen": -5}}, headers=team.as_cadre()
    )
    assert structural.status_code == 422
    (field,) = structural.json()["fields"]
    assert field["loc"] == ["body", "income", "wages_fen"]
    assert field["message_zh"] == "不能小于 0。"
    assert await any_system.rows("registry", SurveySubmission) == 0


async def test_gps_far_from_the_county_is_flagged_and_evidence_is_kept(system: RunningSystem) -> None:
    http = system.api.http
    near, far = households(5, 2)
    team = await make_team(system, near.village_code)
    body = near.survey()
    body.update(gps={"latitude": 26.91, "longitude": 109.21, "accuracy_m": 8}, app_version="2.3.1")
    assert (await http.post(SURVEYS, json=body, headers=team.as_cadre())).json()["status"] == "accepted"
    body = far.survey()
    body.update(gps={"latitude": 39.9, "longitude": 116.4, "accuracy_m": 5}, app_version="2.3.1")  # Beijing
    result = (await http.post(SURVEYS, json=body, headers=team.as_cadre())).json()
    assert result["status"] == "needs_review"
    assert [flag["type"] for flag in result["flags"]] == ["gps_far_from_county"]
    view = (await http.get(f"{SURVEYS}/{result['submission_id']}/review", headers=team.as_reviewer())).json()
    assert (view["latitude"], view["app_version"], view["device_id"]) == (39.9, "2.3.1", "bench-device")


async def test_form_versions_old_open_accepted_closed_refused(system: RunningSystem) -> None:
    http = system.api.http
    first, second, third = households(6, 3)
    team = await make_team(system, first.village_code)
    admin = auth(system.admin_token)
    current = (await http.get(f"{SURVEYS}/forms/household-survey/current", headers=team.as_cadre())).json()
    assert current["version"] == 1
    assert current["definition"]["sections"][0]["fields"][0]["label_zh"] == "所在行政村"

    definition = {**current["definition"], "version": 2, "title_zh": "贫困户信息采集表(2027版)"}
    published = await http.post(f"{SURVEYS}/forms", json=definition, headers=admin)
    assert published.status_code == 201, published.text
    assert (await http.post(f"{SURVEYS}/forms", json=definition, headers=admin)).status_code == 409
    assert (await http.get(f"{SURVEYS}/forms/household-survey/current", headers=team.as_cadre())).json()[
        "version"
    ] == 2

    older = await http.post(SURVEYS, json={**first.survey(), "form_version": 1}, headers=team.as_cadre())
    assert (older.status_code, older.json()["form_version"]) == (201, 1)
    closed = await http.post(
        f"{SURVEYS}/forms/household-survey/1/close", json={"reason": "2027 版启用"}, headers=admin
    )
    assert closed.json()["status_label"] == "已停用"
    refused = await http.post(SURVEYS, json={**second.survey(), "form_version": 1}, headers=team.as_cadre())
    assert refused.status_code == 422
    assert refused.json()["error"] == "form_version_closed"
    assert "已停用" in refused.json()["detail_zh"]
    default = await http.post(SURVEYS, json=third.survey(), headers=team.as_cadre())
    assert default.json()["form_version"] == 2


async def test_a_batch_applies_each_item_on_its_own_in_order(any_system: RunningSystem) -> None:
    http = any_system.api.http
    one, two, three = households(7, 3)
    team = await make_team(any_system, one.village_code)
    already = one.survey()
    assert (await http.post(SURVEYS, json=already, headers=team.as_cadre())).status_code == 201
    broken = two.survey()
    broken["members"][0]["id_number"] = "522627198003151230"  # wrong check digit
    response = await http.post(
        f"{SURVEYS}/batch",
        json={"submissions": [three.survey(), broken, already, {"submission_id": "not-a-uuid"}]},
        headers=team.as_cadre(),
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [item["index"] for item in items] == [0, 1, 2, 3]
    assert [item["status_code"] for item in items] == [201, 422, 200, 422]
    assert items[0]["result"]["status"] == "received"
    assert items[1]["error"]["fields"][0]["loc"] == ["body", "members", 0, "id_number"]
    assert items[2]["result"]["household_id"]
    assert items[3]["error"]["fields"][0]["loc"][:3] == ["body", "submissions", 3]

    # Stored items are applied afterwards, one transaction each, and the outcome is on the submission.
    async def applied() -> bool:
        response = await http.get(f"{SURVEYS}/{items[0]['submission_id']}", headers=team.as_cadre())
        return bool(response.json()["status"] == "accepted")

    await eventually(applied)
    assert await any_system.rows("registry", Household) == 2

    too_many = await http.post(
        f"{SURVEYS}/batch", json={"submissions": [three.survey()] * 101}, headers=team.as_cadre()
    )
    assert too_many.status_code == 422


async def test_queued_surveys_of_new_households_get_the_outcome_each_would_get_alone(
    system: RunningSystem,
) -> None:
    # The applier writes runs of new households together; each must still come out as if alone.
    http = system.api.http
    existing, first, second, third, fourth = [h for h in households(11, 12) if len(h.members) > 1][:5]
    team = await make_team(system, existing.village_code)
    single = await http.post(SURVEYS, json=existing.survey(), headers=team.as_cadre())
    assert single.json()["status"] == "accepted", single.text
    existing_id = single.json()["household_id"]
    shares_with_first = second.survey(submission_id=uuid.uuid4())
    shares_with_first["members"][1] = first.survey()["members"][1]
    shares_with_existing = third.survey(submission_id=uuid.uuid4())
    shares_with_existing["members"][1] = existing.survey()["members"][1]
    batch = [
        first.survey(submission_id=uuid.uuid4()),
        shares_with_first,
        shares_with_existing,
        revision(existing, existing_id, 1, income={**existing.income, "wages_fen": 1_234_500}),
        fourth.survey(submission_id=uuid.uuid4()),
    ]
    response = await http.post(f"{SURVEYS}/batch", json={"submissions": batch}, headers=team.as_cadre())
    assert [item["status_code"] for item in response.json()["items"]] == [201] * 5, response.text

    async def outcomes() -> list[dict[str, Any]] | None:
        found = [
            (await http.get(f"{SURVEYS}/{body['submission_id']}", headers=team.as_cadre())).json()
            for body in batch
        ]
        return None if any(result["status"] == "received" for result in found) else found

    found = await eventually(outcomes)
    assert [(result["status"], result["reason_code"]) for result in found] == [
        ("accepted", None),
        ("needs_review", "possible_duplicate"),
        ("needs_review", "possible_duplicate"),
        ("accepted", None),
        ("accepted", None),
    ]
    assert found[3]["household_id"] == existing_id
    assert found[3]["household_version"] == 2
    created = [found[0]["household_id"], found[4]["household_id"]]
    assert await system.rows("registry", Household) == 3
    for household_id in created:
        file = (await http.get(f"/api/v1/households/{household_id}", headers=team.as_cadre())).json()
        assert file["version"] == 1
        assert file["status"] == "applicant"
    async with system.app("registry").state.database.sessionmaker() as session:
        versions = await session.scalar(
            select(func.count())
            .select_from(HouseholdVersion)
            .where(HouseholdVersion.household_id.in_([uuid.UUID(h) for h in created]))
        )
        applied = await session.scalar(
            select(func.count())
            .select_from(AuditRecord)
            .where(
                AuditRecord.action == "survey.apply",
                AuditRecord.entity_id.in_([body["submission_id"] for body in batch]),
            )
        )
    assert versions == 2
    assert applied == 5
