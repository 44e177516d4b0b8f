"""The other `fupin` commands: divisions, records, the annual review and partner clients."""

from pathlib import Path

import openpyxl
import yaml

from tests.cli.support import county_rows, fupin, write_csv, write_xlsx
from tests.cli.test_household_import import VILLAGE, families
from tests.support.system import RunningSystem, auth


async def test_divisions_records_review_and_clients(system: RunningSystem, tmp_path: Path) -> None:
    divisions = write_csv(
        tmp_path / "divisions.csv",
        [("522627000000", "天柱县", ""), ("522627001000", "凤城街道", ""), (VILLAGE, "甘洞村", "一组、二组")],
        headers=("区划代码", "名称", "村民小组"),
    )
    loaded = await fupin(system, "divisions", "load", str(divisions))
    assert loaded.exit_code == 0, loaded.stdout + loaded.stderr
    assert loaded.json == {"created": 3, "updated": 0}
    village = (
        await system.api.http.get(f"/api/v1/divisions/{VILLAGE}", headers=auth(system.admin_token))
    ).json()
    assert (village["name"], village["groups"]) == ("甘洞村", ["一组", "二组"])

    households = families(47, 3)
    imported = await fupin(
        system, "households", "import", str(write_xlsx(tmp_path / "h.xlsx", county_rows(households)))
    )
    assert imported.exit_code == 0, imported.stdout
    roster = tmp_path / "roster.xlsx"
    exported = await fupin(system, "records", "export", "--village", VILLAGE, "--out", str(roster))
    assert exported.exit_code == 0, exported.stdout + exported.stderr
    cells = {
        cell for row in openpyxl.load_workbook(roster).active.iter_rows(values_only=True) for cell in row
    }
    assert {household.members[0].name for household in households} <= cells
    missing = await fupin(
        system, "records", "export", "--village", "522627001000", "--out", str(tmp_path / "x.xlsx")
    )
    assert missing.exit_code == 1

    review = await fupin(system, "annual-review", "run", "522627000000", "2026", "--open-cases")
    assert review.exit_code == 0, review.stdout + review.stderr
    assert (review.json["region_code"], review.json["year"]) == ("522627000000", 2026)
    assert review.json["opened"]["opened"] == len(review.json["entries"])

    client = await fupin(
        system, "clients", "create", "rcc-test", "--name", "农信社", "--scope", "credit:check"
    )
    assert client.exit_code == 0, client.stdout
    assert client.json["client_secret"]
    token = await system.api.http.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "rcc-test",
            "client_secret": client.json["client_secret"],
        },
    )
    assert token.status_code == 200


async def test_policies_publish_a_county_override_from_a_file(system: RunningSystem, tmp_path: Path) -> None:
    document = {
        "code": "gz-tianzhu-line",
        "title_zh": "天柱县扶贫标准",
        "title_en": "Tianzhu county line",
        "region_code": "522627000000",
        "effective_from": "2020-01-01",
        "extends": "cn-national",
        "parameters": {"poverty_line_fen": {"values": {"2020-01-01": 400000}}},
    }
    path = tmp_path / "tianzhu.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")

    published = await fupin(system, "policies", "publish", str(path), "--reason", "县级标准", "--no-reassess")

    assert published.exit_code == 0, published.stdout + published.stderr
    assert (published.json["status"], published.json["document"]["code"]) == ("published", "gz-tianzhu-line")
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump({**document, "extends": "no-such-policy"}), encoding="utf-8")
    refused = await fupin(system, "policies", "publish", str(broken), "--reason", "县级标准")
    assert refused.exit_code == 1
    unreadable = tmp_path / "unreadable.yaml"
    unreadable.write_text("document: [unclosed", encoding="utf-8")
    assert (await fupin(system, "policies", "publish", str(unreadable), "--reason", "x")).exit_code == 2
