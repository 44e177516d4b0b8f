"""Running the CLI against a running system, and county files written as counties keep them."""

import asyncio
import csv
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
from typer.testing import CliRunner

from bench.generator import COUNTY_FILE_HEADERS, SyntheticHousehold
from services.cli.app import app
from tests.support.system import RunningSystem


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)


async def fupin(
    system: RunningSystem, *args: str, token: str | None = None, url: str | None = None
) -> Outcome:
    """`fupin --json …` against the gateway (or `url`), in a thread (the gateway serves on this loop)."""
    command = ["--url", url or system.gateway_url, "--token", token or system.admin_token, "--json", *args]
    result = await asyncio.to_thread(CliRunner().invoke, app, command)
    return Outcome(result.exit_code, result.stdout, result.stderr)


def county_rows(households: Iterable[SyntheticHousehold]) -> list[tuple[Any, ...]]:
    return [row for household in households for row in household.county_rows()]


def write_xlsx(
    path: Path,
    rows: Sequence[Sequence[Any]],
    headers: Sequence[str] = COUNTY_FILE_HEADERS,
    title: str | None = None,
) -> Path:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("贫困户成员")
    if title is not None:
        sheet.append([title])
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def write_csv(
    path: Path,
    rows: Sequence[Sequence[Any]],
    headers: Sequence[str] = COUNTY_FILE_HEADERS,
    encoding: str = "utf-8-sig",
) -> Path:
    with path.open("w", encoding=encoding, newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def report_rows(path: Path) -> list[dict[str, Any]]:
    """The rejected-rows report (XLSX or CSV) as dicts keyed by its Chinese headers."""
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as stream:
            return list(csv.DictReader(stream))
    sheet = openpyxl.load_workbook(path, read_only=True).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
