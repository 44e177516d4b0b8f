"""The monthly report (月报): every figure against what was done this month, as JSON and XLSX, by region."""

import datetime as dt
import io
import uuid
from typing import Any

from openpyxl import load_workbook

from services.kit.http import ServiceLinks
from services.registry.models import HelpMeasure, Household, HouseholdStatusChange, Visit
from tests.registry.reporting import exit_household, notices_take_no_days, registered, revoke_household
from tests.registry.support import COUNTY, county, idempotent, make_staff, submit_survey
from tests.support.bank import free_port
from tests.support.system import RunningSystem, auth, eventually

PAID_STATUSES = ("paid", "failed")


async def _fund_and_programs(system: RunningSystem, finance: str) -> tuple[dict[str, Any], dict[str, Any]]:
    http = system.api.http
    fund = await http.post(
        "/api/v1/fund-sources",
        headers=auth(finance),
        json={
            "code": "central-report",
            "name_zh": "中央财政专项扶贫资金",
            "level": "central",
            "county_code": COUNTY,
            "year": 2026,
            "document_no": "黔财农〔2026〕9号",
            "granted_fen": 10_000_000,
        },
    )
    assert fund.status_code == 201, fund.text
    programs = []
    for code, name in (("report-income", "到户增收补助"), ("report-housing", "危房改造补助")):
        r = await http.post(
            "/api/v1/programs",
            headers=auth(finance),
            json={
                "code": code,
                "name_zh": name,
                "kind": "one_off",
                "fund_source": "central-report",
                "county_code": COUNTY,
                "year": 2026,
                "budget_fen": 1_000_000,
            },
        )
        assert r.status_code == 201, r.text
        programs.append(r.json())
    return programs[0], programs[1]


async def _paid(
    system: RunningSystem, finance: str, program: dict[str, Any], household_id: str, fen: int
) -> None:
    """Pay a household once the subsidy service has learnt from the feed that it is registered."""
    http = system.api.http
    key = f"report-{uuid.uuid4()}"

    async def accepted() -> Any:
        r = await http.post(
            "/api/v1/payments",
            headers={**auth(finance), "Idempotency-Key": key},
            json={"program_id": program["id"], "household_id": household_id, "amount_fen": fen},
        )
        return r.json() if r.status_code in (200, 201) else None

    payment = await eventually(accepted)

    async def settled() -> Any:
        body = (await http.get(f"/api/v1/payments/{payment['id']}", headers=auth(finance))).json()
        return body if body["status"] in PAID_STATUSES else None

    assert (await eventually(settled, within=60))["status"] == "paid"


def _rows(sheet: Any) -> list[list[Any]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _after(rows: list[list[Any]], header: str) -> dict[Any, list[Any]]:
    """The rows of the section that starts with `header`, keyed by their first cell, up to a blank row."""
    start = next(n for n, row in enumerate(rows) if row and row[0] == header)
    section: dict[Any, list[Any]] = {}
    for row in rows[start + 1 :]:
        if not row or all(cell is None for cell in row):
            break
        section[row[0]] = row[1:]
    return section


async def test_monthly_report_counts_what_happened_this_month(system: RunningSystem) -> None:
    api = system.api
    synthetic = county(83)
    village_a = synthetic.village_codes[0]  # 凤城 township (001)
    village_b = synthetic.village_codes[5]  # township 002
    staff_a = await make_staff(system, village_a, "a.")
    staff_b = await make_staff(system, village_b, "b.")
    await notices_take_no_days(system, staff_a.county_approver)
    finance = await api.create_user(system.admin_token, "finance", ["finance_officer"], [COUNTY])
    auditor = await api.create_user(system.admin_token, "auditor", ["auditor"], [COUNTY])

    households_a = list(synthetic.households(4, village_a))
    a1, a2, a3 = await registered(system, staff_a, households_a[:3])
    await submit_survey(api.http, staff_a.cadre, households_a[3])  # stays an applicant
    b1, b2 = await registered(system, staff_b, list(synthetic.households(2, village_b)))
    await exit_household(system, staff_a, households_a[0], a1)
    await revoke_household(system, staff_b, b2)

    today = system.app("registry").state.clock.today()
    month = f"{today:%Y-%m}"
    visit = await api.http.post(
        "/api/v1/visits",
        json={"household_id": a2, "visited_on": today.isoformat(), "notes": "入户走访,了解生产情况"},
        headers=idempotent(staff_a.cadre),
    )
    assert visit.status_code == 201, visit.text
    for household_id, kind in (
        (a2, "livestock"),
        (a2, "workshop"),
        (a3, "specialty_crops"),
        (a3, "medical_aid"),
    ):
        r = await api.http.post(
            f"/api/v1/households/{household_id}/measures",
            json={
                "kind": kind,
                "description": "帮扶措施登记",
                "started_on": today.replace(day=1).isoformat(),
            },
            headers=idempotent(staff_a.cadre),
        )
        assert r.status_code == 201, r.text

    run = await api.http.post(
        "/api/v1/quality/runs", json={"region_code": COUNTY}, headers=idempotent(staff_a.county_approver)
    )
    assert run.status_code == 202, run.text

    async def quality_done() -> Any:
        r = await api.http.get(
            f"/api/v1/quality/runs/{run.json()['id']}", headers=auth(staff_a.county_approver)
        )
        return r.json() if r.json()["status"] == "done" else None

    await eventually(quality_done)
    village_quality = {
        code: (
            await api.http.get(f"/api/v1/quality/villages/{code}", headers=auth(staff_a.county_approver))
        ).json()
        for code in (village_a, village_b)
    }

    income, housing = await _fund_and_programs(system, finance)
    await _paid(system, finance, income, a2, 100_000)
    await _paid(system, finance, income, b1, 50_000)
    await _paid(system, finance, housing, a3, 30_000)

    r = await api.http.get(
        f"/api/v1/registry/monthly-reports/{COUNTY}", params={"month": month}, headers=auth(auditor)
    )
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["month"], report["level_label"]) == (month, "县")
    by_status = {row["status_label"]: row["households"] for row in report["households_by_status"]}
    assert by_status == {"申请中": 1, "已建档立卡": 3, "已脱贫": 1, "已清退": 1, "非贫困户": 0}
    assert sum(row["households"] for row in report["households_by_category"]) == 6
    assert {row["kind"]: row["households"] for row in report["movements"]} == {
        "entered": 5,
        "relapsed": 0,
        "exits": 1,
        "revoked": 1,
    }
    # Registered and exited households: a1 (exited), a3 and b1 had no visit; a2 was visited.
    assert (report["visits_required"], report["under_visited"]) == (1, 3)
    # a2 has two income measures, a3 one (medical aid is not an income measure), a1 and b1 none.
    assert (report["measures_required"], report["short_of_measures"]) == (2, 3)
    assert report["subsidy_by_program"] == [
        {
            "program_code": "report-housing",
            "program_name_zh": "危房改造补助",
            "payments": 1,
            "paid_fen": 30_000,
        },
        {
            "program_code": "report-income",
            "program_name_zh": "到户增收补助",
            "payments": 2,
            "paid_fen": 150_000,
        },
    ]
    assert report["subsidy_paid_fen"] == 180_000
    quality = report["quality"]
    assert quality["run_id"] == run.json()["id"]
    assert quality["problems"] == sum(len(v["findings"]) for v in village_quality.values()) > 0
    assert quality["households"] == sum(v["households_with_findings"] for v in village_quality.values())
    assert len(report["trend"]) == 12
    assert report["trend"][-1] == {
        "month": month,
        "registered": 3,
        "exited": 1,
        "entered": 5,
        "relapsed": 0,
        "exits": 1,
        "revoked": 1,
        "under_visited": 3,
        "short_of_measures": 3,
        "subsidy_paid_fen": 180_000,
    }
    # Nothing existed before this month: every earlier month is empty, and the months run in order.
    assert all(set(m.values()) - {m["month"]} == {0} for m in report["trend"][:-1])
    assert [m["month"] for m in report["trend"]] == sorted(m["month"] for m in report["trend"])

    # The township of village A sees only its own households and money.
    township = (
        await api.http.get(
            f"/api/v1/registry/monthly-reports/{village_a[:9]}000", headers=auth(staff_a.township_reviewer)
        )
    ).json()
    assert township["month"] == month  # this month by default
    assert {row["status"]: row["households"] for row in township["households_by_status"]} == {
        "applicant": 1,
        "registered": 2,
        "exited": 1,
        "revoked": 0,
        "not_poor": 0,
    }
    assert (township["under_visited"], township["short_of_measures"], township["subsidy_paid_fen"]) == (
        2,
        2,
        130_000,
    )

    # XLSX: the same numbers, and the trend's charts.
    xlsx = await api.http.get(
        f"/api/v1/registry/monthly-reports/{COUNTY}",
        params={"month": month, "format": "xlsx"},
        headers=auth(staff_a.county_approver),
    )
    assert xlsx.status_code == 200, xlsx.text
    workbook = load_workbook(io.BytesIO(xlsx.content))
    rows = _rows(workbook["月报"])
    assert _after(rows, "农户状态(月末)")["已建档立卡"] == [3, None, None]
    assert _after(rows, "农户状态(月末)")["已脱贫"][0] == 1
    assert {k: v[0] for k, v in _after(rows, "本月变动").items()} == {
        "新识别纳入": 5,
        "返贫纳入": 0,
        "脱贫退出": 1,
        "清退": 1,
    }
    assert _after(rows, "帮扶情况")["走访次数低于标准"][:2] == [3, "每月1次"]
    assert _after(rows, "帮扶情况")["增收措施不足"][:2] == [3, "2项"]
    money = _after(rows, "资金发放(已支付)")
    assert money["到户增收补助"] == ["report-income", 2, 1500.0]
    assert money["合计"] == [None, 3, 1800.0]
    assert _after(rows, "数据质量问题")["合计"][:2] == [quality["problems"], quality["households"]]
    trend = workbook["趋势"]
    trend_rows = _rows(trend)
    assert trend_rows[0][:3] == ["月份", "建档立卡户(月末)", "已脱贫户(月末)"]
    assert trend_rows[-1] == [month, 3, 1, 5, 0, 1, 1, 3, 3, 1800.0]
    assert len(trend_rows) == 13
    assert len(trend._charts) == 3


async def test_monthly_report_is_region_scoped_and_validates_the_month(system: RunningSystem) -> None:
    api = system.api
    synthetic = county(84)
    village_a, village_b = synthetic.village_codes[0], synthetic.village_codes[1]
    staff_a = await make_staff(system, village_a, "a.")
    cadre_b = await api.create_user(system.admin_token, "cadre.b", ["cadre"], [village_b])
    today = system.app("registry").state.clock.today()
    path = f"/api/v1/registry/monthly-reports/{village_a}"

    own = await api.http.get(path, headers=auth(staff_a.cadre))
    assert own.status_code == 200, own.text
    for token, code in (
        (cadre_b, village_a),
        (staff_a.cadre, COUNTY),
        (staff_a.cadre, f"{village_a[:9]}000"),
    ):
        r = await api.http.get(f"/api/v1/registry/monthly-reports/{code}", headers=auth(token))
        assert (r.status_code, r.json()["error"]) == (404, "not_found")
    province = await api.http.get(
        "/api/v1/registry/monthly-reports/520000000000", headers=auth(system.admin_token)
    )
    assert province.status_code == 404  # counties, townships and villages only

    next_month = (today.replace(day=28) + dt.timedelta(days=4)).strftime("%Y-%m")
    for month in ("2026-13", "2026-1", "november", "0001-01", "2014-11", next_month):
        r = await api.http.get(path, params={"month": month}, headers=auth(staff_a.cadre))
        assert (r.status_code, r.json()["error"]) == (422, "validation_failed"), month
    assert (
        await api.http.get(path, params={"format": "pdf"}, headers=auth(staff_a.cadre))
    ).status_code == 422
    earliest = await api.http.get(path, params={"month": "2014-12"}, headers=auth(staff_a.cadre))
    assert earliest.status_code == 200, earliest.text
    assert earliest.json()["trend"][0]["month"] == "2014-01"

    # The subsidy service cannot be reached: the whole report is a 502 in the error envelope (the gateway
    # words it as a downstream failure), never a report with the money left out; back, it answers again.
    client = system.app("registry").state.subsidy
    links = client._links
    client._links = ServiceLinks({"subsidy": f"http://127.0.0.1:{free_port()}"})
    down = await api.http.get(path, headers=auth(staff_a.cadre))
    assert (down.status_code, down.json()["error"]) == (502, "bad_gateway")
    assert down.json()["detail_zh"]
    assert down.json()["request_id"]
    client._links = links
    assert (await api.http.get(path, headers=auth(staff_a.cadre))).status_code == 200


def _months_ago(today: dt.date, months: int) -> dt.datetime:
    """Noon in Beijing on the 12th, `months` months before this one."""
    number = today.year * 12 + today.month - 1 - months
    return dt.datetime(number // 12, number % 12 + 1, 12, 4, tzinfo=dt.UTC)


async def test_past_months_are_rebuilt_from_the_status_history(any_system: RunningSystem) -> None:
    """Households filed over the past year (written as the history has them); each month's end rebuilt."""
    system = any_system
    today = system.app("registry").state.clock.today()
    village = "522627003201"
    # created, status now, then (from, to, months ago) for each change
    histories: list[tuple[int, str, list[tuple[str, str, int]]]] = [
        (14, "registered", [("applicant", "registered", 13)]),
        (6, "exited", [("applicant", "registered", 5), ("registered", "exited", 2)]),
        (4, "registered", [("applicant", "registered", 3)]),
        (1, "applicant", []),
        (
            5,
            "registered",
            [("applicant", "registered", 4), ("registered", "exited", 3), ("exited", "registered", 1)],
        ),
    ]
    # Visits (months ago) and income measures (started, ended months ago) of the first and the second.
    visits: dict[int, list[int]] = {0: [11, 0], 2: [3, 3]}
    measures: dict[int, list[tuple[int, int | None]]] = {0: [(9, None), (9, 2)], 1: [(6, None)]}
    database = system.app("registry").state.database
    async with database.sessionmaker() as session, session.begin():
        for n, (created, status, changes) in enumerate(histories):
            household = Household(
                village_code=village,
                status=status,
                category="general_poor",
                head_name=f"户主{n}",
                member_count=3,
                created_at=_months_ago(today, created),
            )
            session.add(household)
            await session.flush()
            session.add_all(
                Visit(
                    household_id=household.id,
                    village_code=village,
                    visited_by="history",
                    visited_on=_months_ago(today, ago).date(),
                    notes="走访",
                )
                for ago in visits.get(n, [])
            )
            session.add_all(
                HelpMeasure(
                    household_id=household.id,
                    village_code=village,
                    kind="livestock",
                    raises_income=True,
                    description="养殖",
                    started_on=_months_ago(today, started).date(),
                    ended_on=None if ended is None else _months_ago(today, ended).date(),
                    recorded_by="history",
                )
                for started, ended in measures.get(n, [])
            )
            for version, (before, after, ago) in enumerate(changes, start=2):
                session.add(
                    HouseholdStatusChange(
                        household_id=household.id,
                        household_version=version,
                        from_status=before,
                        to_status=after,
                        changed_at=_months_ago(today, ago),
                        changed_by="history",
                        reason="历史数据",
                    )
                )

    async def report(month: str | None = None) -> dict[str, Any]:
        r = await system.api.http.get(
            f"/api/v1/registry/monthly-reports/{village}",
            params={"month": month} if month else {},
            headers=auth(system.admin_token),
        )
        assert r.status_code == 200, r.text
        return dict(r.json())

    def figures(body: dict[str, Any]) -> list[tuple[int, ...]]:
        keys = ("registered", "exited", "entered", "relapsed", "exits")
        return [tuple(month[key] for key in keys) for month in body["trend"]]

    this_month = await report()
    # Oldest first: (registered and exited at the month's end, entered, relapsed, exits in the month).
    assert figures(this_month) == [
        *[(1, 0, 0, 0, 0)] * 6,
        (2, 0, 1, 0, 0),  # 5 months ago: one registered
        (3, 0, 1, 0, 0),  # 4: another
        (3, 1, 1, 0, 1),  # 3: a third registered, one exited
        (2, 2, 0, 0, 1),  # 2: another exited
        (3, 1, 0, 1, 0),  # 1: one relapsed (返贫)
        (3, 1, 0, 0, 0),
    ]
    by_status = {row["status"]: row["households"] for row in this_month["households_by_status"]}
    assert (by_status["applicant"], by_status["registered"], by_status["exited"]) == (1, 3, 1)
    # Among the helped households on file at each month's end (1, then 2, 3 and 4 from 4 months ago):
    # the first visited 11 months ago and this month, the third twice 3 months ago.
    assert [m["under_visited"] for m in this_month["trend"]] == [0, 1, 1, 1, 1, 2, 3, 4, 3, 4, 4, 3]
    # The first has two income measures from 9 to 2 months ago, the second one all along.
    assert [m["short_of_measures"] for m in this_month["trend"]] == [1, 1, 0, 0, 0, 1, 2, 3, 3, 4, 4, 4]

    # A past month's report ends there: the changes after it are undone.
    past = await report(_months_ago(today, 2).strftime("%Y-%m"))
    assert figures(past)[-1] == (2, 2, 0, 0, 1)
    by_status = {row["status"]: row["households"] for row in past["households_by_status"]}
    assert (by_status["applicant"], by_status["registered"], by_status["exited"]) == (0, 2, 2)
    assert {row["kind"]: row["households"] for row in past["movements"]}["exits"] == 1
