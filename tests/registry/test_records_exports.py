"""The township book (乡有簿) and the county archive (县有档) as XLSX: their households, sums and scope."""

import io
from typing import Any

from openpyxl import load_workbook

from tests.registry.reporting import notices_take_no_days, registered
from tests.registry.support import COUNTY, county, idempotent, make_staff, submit_survey
from tests.support.system import RunningSystem, auth

TOWNSHIP_A = "522627001000"
TOWNSHIP_B = "522627002000"
TREE = {
    "divisions": [
        {"code": COUNTY, "name": "天柱县"},
        {"code": TOWNSHIP_A, "name": "凤城街道"},
        {"code": "522627001201", "name": "甘洞村", "poor_village": "county"},
        {"code": "522627001202", "name": "木杉村"},
        {"code": "522627001203", "name": "无户村"},
        {"code": TOWNSHIP_B, "name": "邦洞街道"},
        {"code": "522627002201", "name": "摆洞村"},
    ]
}


def _rows(workbook: Any, name: str) -> list[list[Any]]:
    return [list(row) for row in workbook[name].iter_rows(values_only=True)]


def _pairs(row: list[Any]) -> dict[str, Any]:
    """A 小计 or 合计 row's label, value pairs."""
    cells = [cell for cell in row[1:] if cell is not None]
    return dict(zip(cells[::2], cells[1::2], strict=True))


async def test_township_book_and_county_archive(any_system: RunningSystem) -> None:
    system = any_system
    api = system.api
    synthetic = county(91)
    a1, a2, b1 = "522627001201", "522627001202", "522627002201"
    staff = {code: await make_staff(system, code, f"{code[-6:]}.") for code in (a1, a2, b1)}
    approver = staff[a1].county_approver
    loaded = await api.http.post("/api/v1/divisions", json=TREE, headers=idempotent(approver))
    assert loaded.status_code == 201, loaded.text
    await notices_take_no_days(system, approver)

    in_a1 = list(synthetic.households(3, a1))
    ids = {
        a1: await registered(system, staff[a1], in_a1[:2]),
        a2: await registered(system, staff[a2], list(synthetic.households(1, a2))),
        b1: await registered(system, staff[b1], list(synthetic.households(1, b1))),
    }
    await submit_survey(api.http, staff[a1].cadre, in_a1[2])  # an applicant: on no record yet
    files = {
        household_id: (
            await api.http.get(f"/api/v1/households/{household_id}", headers=auth(approver))
        ).json()
        for village_ids in ids.values()
        for household_id in village_ids
    }
    helped = ids[a1][0]
    today = system.app("registry").state.clock.today().isoformat()
    helper = await api.http.post(
        "/api/v1/helpers",
        json={"name": "张干事", "rank": "staff", "unit": "县农业农村局", "region_code": COUNTY},
        headers=idempotent(approver),
    )
    assert helper.status_code == 201, helper.text
    pairing = await api.http.post(
        "/api/v1/pairings",
        json={"helper_id": helper.json()["id"], "household_id": helped, "started_on": today},
        headers=idempotent(approver),
    )
    assert pairing.status_code == 201, pairing.text
    causes = await api.http.patch(
        f"/api/v1/households/{helped}",
        headers=auth(staff[a1].village_officer),
        json={
            "base_version": files[helped]["version"],
            "reason": "补录致贫原因",
            "main_cause": "illness",
            "secondary_causes": ["lack_of_skills", "lack_of_capital"],
        },
    )
    assert causes.status_code == 200, causes.text
    measure = await api.http.post(
        f"/api/v1/households/{helped}/measures",
        json={"kind": "livestock", "description": "养牛两头", "started_on": today},
        headers=idempotent(approver),
    )
    assert measure.status_code == 201, measure.text

    # 乡有簿 of 凤城街道: a block per village (an empty one too), each with its 小计, then the 合计.
    book = await api.http.get(
        f"/api/v1/divisions/{TOWNSHIP_A}/book.xlsx", headers=auth(staff[a1].township_reviewer)
    )
    assert book.status_code == 200, book.text
    assert book.headers["content-type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(book.content))
    rows = _rows(workbook, "乡簿")
    assert rows[0][0] == "凤城街道 贫困户登记簿"
    blocks = [row[0] for row in rows if row and isinstance(row[0], str) and row[0].endswith(")")]
    assert blocks == ["甘洞村(522627001201)", "木杉村(522627001202)", "无户村(522627001203)"]
    header = next(row for row in rows if row[0] == "序号")
    column = {name: n for n, name in enumerate(header)}
    households = [row for row in rows if isinstance(row[0], int)]
    assert {row[column["户主"]] for row in households} == {files[h]["head_name"] for h in ids[a1] + ids[a2]}
    by_head = {row[column["户主"]]: row for row in households}
    helped_row = by_head[files[helped]["head_name"]]
    assert helped_row[column["帮扶责任人"]] == "张干事"
    assert helped_row[column["增收措施数"]] == 1
    assert helped_row[column["状态"]] == "已建档立卡"
    assert (helped_row[column["主要致贫原因"]], helped_row[column["其他致贫原因"]]) == (
        "因病",
        "缺技术、缺资金",
    )
    assert helped_row[column["户类别"]] == files[helped]["category_label"]
    assert helped_row[column["人均纯收入(元)"]] == files[helped]["per_capita_net_income_fen"] / 100
    subtotals = [_pairs(row) for row in rows if row and row[0] == "小计"]
    assert [s["户数"] for s in subtotals] == [2, 1, 0]
    assert subtotals[0]["人数"] == sum(files[h]["member_count"] for h in ids[a1])
    assert subtotals[0]["已建档立卡户数"] == 2
    total = _pairs(next(row for row in rows if row and row[0] == "合计"))
    assert (total["户数"], total["人数"]) == (3, sum(files[h]["member_count"] for h in ids[a1] + ids[a2]))
    summary = _rows(workbook, "村汇总")
    assert [row[1] for row in summary[1:]] == [a1, a2, "522627001203"]
    assert summary[1][2:5] == ["甘洞村", "县定贫困村", 2]

    # 县有档: both townships summed up, every village, and each household once with its village.
    archive = await api.http.get(f"/api/v1/divisions/{COUNTY}/archive.xlsx", headers=auth(approver))
    assert archive.status_code == 200, archive.text
    workbook = load_workbook(io.BytesIO(archive.content), read_only=True)
    townships = _rows(workbook, "乡镇汇总")
    assert townships[0][0] == "天柱县 贫困户档案"
    assert [row[:5] for row in townships[2:]] == [
        [TOWNSHIP_A, "凤城街道", 3, 3, sum(files[h]["member_count"] for h in ids[a1] + ids[a2])],
        [TOWNSHIP_B, "邦洞街道", 1, 1, files[ids[b1][0]]["member_count"]],
    ]
    assert [row[1] for row in _rows(workbook, "村汇总")[1:]] == [a1, a2, "522627001203", b1]
    listed = _rows(workbook, "农户名单")
    assert listed[0][:3] == ["序号", "村代码", "户主"]
    assert sorted((row[1], row[2]) for row in listed[1:]) == sorted(
        (code, files[h]["head_name"]) for code, village_ids in ids.items() for h in village_ids
    )
    assert [row[0] for row in listed[1:]] == [1, 2, 3, 4]

    # Scope: outside one's regions, or a code of another level, is a 404.
    refused = [
        (f"/api/v1/divisions/{COUNTY}/archive.xlsx", staff[a1].township_reviewer),
        (f"/api/v1/divisions/{TOWNSHIP_B}/book.xlsx", staff[a1].township_reviewer),
        (f"/api/v1/divisions/{TOWNSHIP_A}/book.xlsx", staff[a1].cadre),
        (f"/api/v1/divisions/{a1}/book.xlsx", staff[a1].county_approver),
        (f"/api/v1/divisions/{TOWNSHIP_A}/archive.xlsx", staff[a1].county_approver),
    ]
    for path, token in refused:
        r = await api.http.get(path, headers=auth(token))
        assert (r.status_code, r.json()["error"]) == (404, "not_found"), path

    # The village roster reads the same rows: its households only, with the secondary causes and members.
    roster = (await api.http.get(f"/api/v1/divisions/{a1}/roster", headers=auth(staff[a1].cadre))).json()
    by_id = {row["household_id"]: row for row in roster["households"]}
    assert set(by_id) == set(ids[a1])
    assert by_id[helped]["secondary_cause_labels"] == ["缺技术", "缺资金"]
    assert (by_id[helped]["helper_name"], by_id[helped]["income_measures"]) == ("张干事", 1)
    assert len(by_id[helped]["members"]) == files[helped]["member_count"]
