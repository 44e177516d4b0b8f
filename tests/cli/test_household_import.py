"""`fupin households import` end to end: county files through the gateway into the registry."""

import asyncio
import dataclasses
import sys
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import yaml
from sqlalchemy import func, select
from stdnum.cn import ric

from bench.generator import CAUSES, COUNTY_FILE_HEADERS, SyntheticHousehold
from services.registry.models import AuditRecord, Household, Member, OutboxEvent
from tests.cli.support import county_rows, fupin, report_rows, write_csv, write_xlsx
from tests.registry.support import county
from tests.support.bank import free_port
from tests.support.system import RunningSystem, auth, eventually

VILLAGE = "522627001201"
COLUMN = {header: position for position, header in enumerate(COUNTY_FILE_HEADERS)}


def families(seed: int, count: int, *, least: int = 1) -> list[SyntheticHousehold]:
    """`count` households of the village with at least `least` members each."""
    found = (household for household in county(seed).households(10 * count, village_code=VILLAGE))
    return [household for household in found if len(household.members) >= least][:count]


async def household_of(system: RunningSystem, id_number: str) -> dict[str, Any] | None:
    headers = auth(system.admin_token)
    found = await system.api.http.post(
        "/api/v1/members/lookup", json={"id_number": id_number}, headers=headers
    )
    if found.status_code == 404:
        return None
    household: dict[str, Any] = (
        await system.api.http.get(f"/api/v1/households/{found.json()['household_id']}", headers=headers)
    ).json()
    return household


async def stored(system: RunningSystem) -> dict[str, int]:
    """Rows the registry holds: households, members, import audit records, events."""
    async with system.app("registry").state.database.sessionmaker() as session:
        return {
            "households": await session.scalar(select(func.count()).select_from(Household)),
            "members": await session.scalar(select(func.count()).select_from(Member)),
            "audit": await session.scalar(
                select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "household.import")
            ),
            "events": await session.scalar(select(func.count()).select_from(OutboxEvent)),
        }


async def test_xlsx_import_files_households_like_a_survey_and_a_rerun_changes_nothing(
    system: RunningSystem, tmp_path: Path
) -> None:
    households = families(41, 4)
    path = write_xlsx(tmp_path / "天柱县建档立卡.xlsx", county_rows(households))

    first = await fupin(system, "households", "import", str(path))

    assert first.exit_code == 0, first.stdout + first.stderr
    summary = first.json
    assert (summary["households"], summary["created"], summary["unchanged"], summary["rejected_rows"]) == (
        4,
        4,
        0,
        0,
    )
    assert summary["rows"] == sum(len(household.members) for household in households)
    assert summary["report"] is None
    source = households[0]
    household = await household_of(system, source.members[0].id_number)
    assert household is not None
    net = sum(source.income.values()) - 2 * source.income["production_cost_fen"]
    assert household["status"] == "registered"
    assert household["category"] == "general_poor"
    assert household["member_count"] == len(source.members)
    assert household["per_capita_net_income_fen"] == net // len(source.members)
    assert household["main_cause_label"] == CAUSES[source.key.int % len(CAUSES)]
    assert household["bank_account_masked"].endswith(source.bank_account["account_number"][-4:])
    assert sorted(m["relation_label"] for m in household["members"]) == sorted(
        {"head": "户主", "spouse": "配偶", "child": "子女", "parent": "父母", "grandchild": "孙子女"}[
            m.relation
        ]
        for m in source.members
    )
    base = f"/api/v1/households/{household['id']}"
    headers = auth(system.admin_token)
    versions = (await system.api.http.get(f"{base}/versions", headers=headers)).json()
    assert [(v["version"], v["action"], v["reason"]) for v in versions] == [
        (1, "household.import", "导入建档立卡档案")
    ]
    history = (await system.api.http.get(f"{base}/status-history", headers=headers)).json()
    assert [(change["from_status"], change["to_status"]) for change in history] == [(None, "registered")]
    # The household.changed event reached eligibility, which assessed the household.
    latest = f"/api/v1/assessments/households/{household['id']}/latest"

    async def assessed() -> bool:
        return (await system.api.http.get(latest, headers=headers)).status_code == 200

    await eventually(assessed)
    before = await stored(system)
    assert before["households"] == 4
    assert before["audit"] == 4

    again = await fupin(system, "households", "import", str(path))

    assert again.exit_code == 0, again.stdout
    assert (again.json["created"], again.json["unchanged"], again.json["rejected"]) == (0, 4, 0)
    assert await stored(system) == before
    assert len((await system.api.http.get(f"{base}/versions", headers=headers)).json()) == 1


async def test_a_batch_whose_answer_was_lost_is_counted_as_created_on_the_retry(
    system: RunningSystem, tmp_path: Path
) -> None:
    """The registry commits a batch but the answer is lost (504 from a proxy in between); the CLI
    sends it again, and its summary still says the households were created, not unchanged."""
    lost: list[str] = []
    upstream = httpx.AsyncClient(base_url=system.gateway_url, timeout=30)

    async def proxy(scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(name, value) for name, value in scope["headers"] if name != b"host"]
        answer = await upstream.request(scope["method"], scope["path"], content=body, headers=headers)
        status, content = answer.status_code, answer.content
        if scope["path"].endswith("/households/imports") and not lost:
            lost.append(answer.text)  # committed upstream; the caller never hears of it
            status, content = 504, b'{"error": "gateway_timeout"}'
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": content})

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(proxy, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    serving = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: asyncio.sleep(0.01, server.started), within=10)
        path = write_xlsx(tmp_path / "丢失应答.xlsx", county_rows(families(47, 3)))
        outcome = await fupin(system, "households", "import", str(path), url=f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        await serving
        await upstream.aclose()

    assert len(lost) == 1
    assert '"created":3' in lost[0]  # the first attempt did create them
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    assert (outcome.json["created"], outcome.json["unchanged"]) == (3, 0)
    assert (await stored(system))["households"] == 3


def namesake(row: tuple[Any, ...], of: tuple[Any, ...]) -> tuple[Any, ...]:
    """A row for `of`'s household: a person with the name and birth date of `row`'s member, but
    another ID number (another sequence number of the same sex) and no relation to the head."""
    number = row[COLUMN["身份证号码"]]
    other = number[:14] + f"{(int(number[14:17]) + 4) % 1000:03d}"
    twin = list(row)
    twin[COLUMN["户主姓名"]] = of[COLUMN["户主姓名"]]
    twin[COLUMN["户主身份证号码"]] = of[COLUMN["户主身份证号码"]]
    twin[COLUMN["身份证号码"]] = other + ric.calc_check_digit(other + "0")
    twin[COLUMN["与户主关系"]] = "其他"
    return tuple(twin)


async def test_namesakes_in_the_county_are_flagged_for_duplicate_review(
    system: RunningSystem, tmp_path: Path
) -> None:
    first, second, third = families(53, 3, least=3)
    earlier = write_xlsx(tmp_path / "第一批.xlsx", county_rows([first]))
    assert (await fupin(system, "households", "import", str(earlier))).json["created"] == 1
    # In the second file the second household's last member is a namesake of the first household's
    # spouse, and the third's of the second's spouse (sizes, and so per-capita incomes, unchanged).
    first_rows, second_rows, third_rows = (county_rows([household]) for household in (first, second, third))
    rows = [
        *second_rows[:-1],
        namesake(first_rows[1], second_rows[0]),
        *third_rows[:-1],
        namesake(second_rows[1], third_rows[0]),
    ]
    later = write_xlsx(tmp_path / "第二批.xlsx", rows)

    imported = await fupin(system, "households", "import", str(later))
    again = await fupin(system, "households", "import", str(later))

    assert (imported.json["created"], again.json["unchanged"]) == (2, 2), imported.stdout
    headers = auth(system.admin_token)
    flags = (await system.api.http.get("/api/v1/registry/duplicates", headers=headers)).json()
    found = {frozenset((flag["household_id"], flag["other_household_id"])) for flag in flags}
    households = [
        (await household_of(system, household.members[0].id_number) or {}).get("id")
        for household in (first, second, third)
    ]
    assert len(flags) == 2  # one flag a pair, not one each way round, and none again on the rerun
    assert found == {frozenset(households[:2]), frozenset(households[1:])}
    assert {flag["status"] for flag in flags} == {"open"}


async def test_dry_run_checks_every_row_and_writes_nothing(system: RunningSystem, tmp_path: Path) -> None:
    households = families(42, 3)
    path = write_csv(tmp_path / "households.csv", county_rows(households))
    before = await stored(system)

    checked = await fupin(system, "households", "import", str(path), "--dry-run")

    assert checked.exit_code == 0, checked.stdout + checked.stderr
    assert (checked.json["dry_run"], checked.json["created"], checked.json["rejected"]) == (True, 3, 0)
    assert await stored(system) == before
    assert await household_of(system, households[0].members[0].id_number) is None

    imported = await fupin(system, "households", "import", str(path))
    assert (imported.exit_code, imported.json["created"]) == (0, 3)
    assert await household_of(system, households[0].members[0].id_number) is not None


def _set(rows: list[list[Any]], index: int, header: str, value: Any) -> None:
    rows[index][COLUMN[header]] = value


async def test_rejected_rows_are_reported_with_row_and_chinese_reason_and_the_rest_imported(
    system: RunningSystem, tmp_path: Path
) -> None:
    approver = await system.api.create_user(
        system.admin_token, "county.import", ["county_approver"], ["522627000000"]
    )
    households = families(43, 7, least=2)
    blocks = [[list(row) for row in household.county_rows()] for household in households]
    bad_id = households[1].members[0].id_number
    bad_id = bad_id[:-1] + ("0" if bad_id[-1] != "0" else "1")
    for row in blocks[1]:
        _set([row], 0, "户主身份证号码", bad_id)
    _set(blocks[1], 0, "身份证号码", bad_id)
    _set(blocks[2], 1, "与户主关系", "外甥")
    _set(blocks[3], 0, "人均纯收入", 1)
    for row in blocks[4]:
        _set([row], 0, "行政区划代码", "522628001201")
    _set(blocks[5], 1, "与户主关系", "户主")
    _set(blocks[6], 1, "出生日期", "1901-01-01")
    rows = [row for block in blocks for row in block]
    path = write_csv(tmp_path / "gbk.csv", rows, encoding="gb18030")
    first_row = [2]
    for block in blocks[:-1]:
        first_row.append(first_row[-1] + len(block))

    result = await fupin(system, "households", "import", str(path), token=approver)

    assert result.exit_code == 1, result.stdout + result.stderr
    assert (result.json["created"], result.json["rejected"]) == (1, 6)
    report = Path(result.json["report"])
    assert report.name == "gbk.rejected.csv"
    reasons = {(int(row["行号"]), row["户主身份证号"]): row["原因"] for row in report_rows(report)}
    heads = [household.members[0].id_number for household in households]
    assert reasons == {
        (first_row[1], bad_id): "身份证号码:身份证号码无效(校验位或出生日期不符)。",
        (first_row[2] + 1, heads[2]): reasons[(first_row[2] + 1, heads[2])],
        (first_row[3], heads[3]): reasons[(first_row[3], heads[3])],
        (first_row[4], heads[4]): "行政区划代码:不在您的管辖范围内",
        (first_row[5], heads[5]): "与户主关系:每户必须有且只有一名户主。",
        (first_row[6] + 1, heads[6]): "身份证号码:出生日期与身份证号码不一致。",
    }
    assert reasons[(first_row[2] + 1, heads[2])].startswith("与户主关系:「外甥」不是可选值")
    assert reasons[(first_row[3], heads[3])].startswith("人均纯收入:与各项收入计算所得")
    assert await household_of(system, heads[0]) is not None
    assert await household_of(system, heads[3]) is None


async def test_a_mapping_file_reads_another_layout(system: RunningSystem, tmp_path: Path) -> None:
    households = families(44, 2)
    headers = ["户编号", "村编码", "家庭成员姓名", "公民身份号码", "与户主关系", "备注"]
    relation = {"head": "户主", "spouse": "妻", "child": "之子", "parent": "父亲", "grandchild": "孙女"}
    rows = [
        (
            f"H{number:04d}",
            household.village_code,
            member.name,
            member.id_number,
            relation[member.relation],
            "",
        )
        for number, household in enumerate(households)
        for member in household.members
    ]
    path = write_xlsx(tmp_path / "other.xlsx", rows, headers, title="2026年天柱县贫困户花名册")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        yaml.safe_dump(
            {
                "header_row": 2,
                "columns": {
                    "村编码": "行政区划代码",
                    "家庭成员姓名": "姓名",
                    "公民身份号码": "身份证号码",
                    "备注": None,
                },
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )

    unmapped = await fupin(system, "households", "import", str(path))
    assert unmapped.exit_code == 2
    assert "缺少必需的列" in unmapped.json["error"]

    mapped = await fupin(system, "households", "import", str(path), "--mapping", str(mapping))

    assert mapped.exit_code == 0, mapped.stdout + mapped.stderr
    assert (mapped.json["households"], mapped.json["created"]) == (2, 2)
    household = await household_of(system, households[0].members[0].id_number)
    assert household is not None
    members = {member["name"]: member for member in household["members"]}
    for member in households[0].members:  # sex and birth date read from the ID number
        assert (members[member.name]["sex"], members[member.name]["birth_date"]) == (
            member.sex,
            member.birth_date.isoformat(),
        )


async def test_only_county_staff_and_admins_import(system: RunningSystem, tmp_path: Path) -> None:
    cadre = await system.api.create_user(system.admin_token, "cadre.import", ["cadre"], [VILLAGE])
    path = write_xlsx(tmp_path / "households.xlsx", county_rows(families(45, 2)))

    refused = await fupin(system, "households", "import", str(path), token=cadre)

    assert refused.exit_code == 3
    assert refused.json["error"].startswith("HTTP 403")
    assert (await stored(system))["households"] == 0


async def test_unreadable_files_and_scattered_rows_give_clear_errors(
    system: RunningSystem, tmp_path: Path
) -> None:
    text = tmp_path / "households.txt"
    text.write_text("户主姓名\n", encoding="utf-8")
    corrupt = tmp_path / "broken.xlsx"
    corrupt.write_bytes(b"PK\x03\x04 not really a workbook")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")

    for path, message in ((text, "不支持的文件类型"), (corrupt, "XLSX 文件无法打开"), (empty, "文件为空")):
        outcome = await fupin(system, "households", "import", str(path))
        assert outcome.exit_code == 2, (path, outcome.stdout)
        assert message in outcome.json["error"]

    first, second = families(46, 2, least=2)
    rows_first, rows_second = first.county_rows(), second.county_rows()
    scattered = write_xlsx(
        tmp_path / "scattered.xlsx", [rows_first[0], *rows_second, *rows_first[1:]]
    )  # the first household's rows are split by the second's
    outcome = await fupin(system, "households", "import", str(scattered))
    assert outcome.exit_code == 1
    scattered_rows = [
        int(row["行号"])
        for row in report_rows(Path(outcome.json["report"]))
        if row["原因"] == "同一户的成员行不相邻:请把同一户的各行放在一起"
    ]
    assert scattered_rows == list(range(3 + len(rows_second), 2 + len(rows_second) + len(rows_first)))


async def test_cli_exit_codes_and_admin_commands(system: RunningSystem, tmp_path: Path) -> None:
    created = await fupin(
        system, "users", "create", "li.county", "--role", "county_approver", "--region", "522627000000",
        "--display-name", "李县长", "--new-password", "Fupin2026county",
    )  # fmt: skip
    assert created.exit_code == 0, created.stdout + created.stderr
    assert created.json["roles"] == ["county_approver"]
    assert await system.api.login("li.county", "Fupin2026county")
    duplicate = await fupin(
        system, "users", "create", "li.county", "--role", "cadre", "--region", VILLAGE,
        "--new-password", "Fupin2026county",
    )  # fmt: skip
    assert duplicate.exit_code == 1

    verified = await fupin(system, "audit", "verify")
    assert verified.exit_code == 0
    assert verified.json["intact"] is True
    assert {report["service"] for report in verified.json["reports"]} == {
        "gateway",
        "registry",
        "eligibility",
        "subsidy",
    }

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", "--url", system.gateway_url, "--token", "not-a-token", "--json",
        "audit", "verify", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, _stderr = await process.communicate()
    assert process.returncode == 3, stdout
    unreachable = dataclasses.replace(system, gateway_url="http://127.0.0.1:9")
    offline = await fupin(unreachable, "audit", "verify")
    assert offline.exit_code == 4


async def test_import_and_rerun_on_both_databases(any_system: RunningSystem, tmp_path: Path) -> None:
    households = families(48, 3)
    path = write_csv(tmp_path / "households.csv", county_rows(households))

    first = await fupin(any_system, "households", "import", str(path))
    again = await fupin(any_system, "households", "import", str(path))

    assert (first.exit_code, first.json["created"]) == (0, 3), first.stdout + first.stderr
    assert (again.exit_code, again.json["created"], again.json["unchanged"]) == (0, 0, 3)
    counts = await stored(any_system)
    assert (counts["households"], counts["audit"]) == (3, 3)
    assert counts["members"] == sum(len(household.members) for household in households)
