"""The other `fupin` commands: divisions, records, the annual review and partner clients."""

from pathlib import Path

import openpyxl

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
