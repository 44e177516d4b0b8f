"""One household from a cadre's phone to a bank payment, through the gateway (issue: walking skeleton)."""

import uuid

from sqlalchemy import func, select

from bench.generator import SyntheticCounty
from services.eligibility.models import Assessment
from tests.support.system import RunningSystem, auth, eventually

COUNTY = "522627000000"


async def test_household_travels_from_survey_to_paid_payment(any_system: RunningSystem) -> None:
    api = any_system.api
    county = SyntheticCounty(COUNTY, seed=11)
    village = county.village_codes[0]

    # 1. A cadre logs in.
    cadre = await api.create_user(any_system.admin_token, "cadre.wang", ["cadre"], [village])

    # 2. The cadre submits a door-to-door survey of a household below the line.
    household = next(county.households(1, village))
    body = household.survey()
    body["income"] = {
        "wages_fen": 150000,
        "production_net_fen": 90000,
        "property_fen": 0,
        "transfer_fen": 30000,
        "production_cost_fen": 20000,
    }
    response = await api.http.post("/api/v1/surveys", json=body, headers=auth(cadre))
    assert response.status_code == 201, response.text
    household_id = response.json()["household_id"]
    assert response.json()["household_version"] == 1

    # 3. The registry stored it, masked the ID numbers, and the eligibility service assessed it from the feed.
    read = await api.http.get(f"/api/v1/households/{household_id}", headers=auth(cadre))
    assert read.status_code == 200
    stored = read.json()
    assert stored["member_count"] == len(household.members)
    assert stored["per_capita_net_income_fen"] == (150000 + 90000 + 30000 - 20000) // len(household.members)
    assert all("*" in member["id_number_masked"] for member in stored["members"])
    assert household.members[0].id_number not in read.text

    async def assessed() -> dict | None:
        r = await api.http.get(f"/api/v1/assessments/households/{household_id}/latest", headers=auth(cadre))
        return r.json() if r.status_code == 200 else None

    # 4. Assessed against the stored policy, with its version and its reasons.
    assessment = await eventually(assessed)
    assert assessment["policy_code"] == "cn-national"
    assert assessment["policy_version"] == 1
    assert assessment["poor"] is True
    assert assessment["category_label"] == "一般贫困户"
    assert assessment["rules"][0]["reason_zh"] == "人均纯收入低于扶贫标准"

    # 5. A finance officer creates a program and pays the household; the bank calls back.
    finance = await api.create_user(any_system.admin_token, "finance.zhao", ["finance_officer"], [COUNTY])
    fund = await api.http.post(
        "/api/v1/fund-sources",
        headers=auth(finance),
        json={
            "code": "central-special-2026",
            "name_zh": "中央财政专项扶贫资金",
            "level": "central",
            "county_code": COUNTY,
            "year": 2026,
            "document_no": "黔财农〔2026〕1号",
            "granted_fen": 50_000_000,
        },
    )
    assert fund.status_code == 201, fund.text
    program = await api.http.post(
        "/api/v1/programs",
        headers=auth(finance),
        json={
            "code": "hh-income-2026",
            "name_zh": "到户增收补助",
            "kind": "one_off",
            "fund_source": "central-special-2026",
            "county_code": COUNTY,
            "year": 2026,
            "budget_fen": 10_000_000,
        },
    )
    assert program.status_code == 201, program.text

    async def payable() -> dict | None:
        r = await api.http.post(
            "/api/v1/payments",
            headers={**auth(finance), "Idempotency-Key": "skeleton-pay-0001"},
            json={"program_id": program.json()["id"], "household_id": household_id, "amount_fen": 800_000},
        )
        return r.json() if r.status_code == 201 else None

    payment = await eventually(payable)  # the subsidy service learns the assessment from its feed

    # 6. The cadre reads the payment's status back.
    async def paid() -> dict | None:
        r = await api.http.get(f"/api/v1/payments/{payment['id']}", headers=auth(cadre))
        return r.json() if r.json()["status"] == "paid" else None

    settled = await eventually(paid)
    assert settled["status_label"] == "已支付"
    assert settled["bank_reference"]
    programs = await api.http.get("/api/v1/programs", headers=auth(finance))
    assert programs.json()[0]["remaining_fen"] == 10_000_000 - 800_000


async def test_consumer_stopped_then_restarted_assesses_every_change_once(system: RunningSystem) -> None:
    api = system.api
    county = SyntheticCounty(COUNTY, seed=12)
    cadre = await api.create_user(system.admin_token, "cadre.stop", ["cadre"], county.village_codes)
    consumer = system.app("eligibility").state.registry_consumer
    await consumer.stop()

    households = list(county.households(12))
    ids = []
    for household in households:
        r = await api.http.post("/api/v1/surveys", json=household.survey(), headers=auth(cadre))
        assert r.status_code == 201, r.text
        ids.append(r.json()["household_id"])
    # Revise four of them, so some households have two versions waiting in the feed.
    for household, household_id in zip(households[:4], ids[:4], strict=True):
        body = household.survey(submission_id=uuid.uuid4())
        body.update(household_id=household_id, base_version=1)
        body["income"]["wages_fen"] += 100
        r = await api.http.post("/api/v1/surveys", json=body, headers=auth(cadre))
        assert r.status_code == 201, r.text

    async with system.app("eligibility").state.database.sessionmaker() as session:
        assert (await session.scalar(select(func.count()).select_from(Assessment))) == 0

    consumer.start()

    async def all_assessed() -> list | None:
        async with system.app("eligibility").state.database.sessionmaker() as session:
            rows = (
                await session.execute(select(Assessment.household_id, Assessment.household_version))
            ).all()
        return rows if len(rows) >= 16 else None

    rows = await eventually(all_assessed)
    await consumer.drain()
    assert len(rows) == 16
    assert len(set(rows)) == 16  # once per change, none twice
    assert {str(h) for h, _ in rows} == set(ids)
    assert sorted(v for h, v in rows if str(h) in ids[:4]) == [1, 1, 1, 1, 2, 2, 2, 2]
