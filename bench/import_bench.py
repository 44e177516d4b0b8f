"""Importing a county's file through the API (档案导入): `fupin households import` of 100 k households.

Writes a SyntheticCounty of FUPIN_BENCH_IMPORT households (default 100,000, about 350,000 member rows)
as an XLSX in the county layout (Chinese headers, one row per member; kept in the temp directory and
reused, the county being deterministic), starts the gateway and the registry
(FUPIN_BENCH_REGISTRY_WORKERS uvicorn workers, default 2: one per core) on a fresh PostgreSQL database
as bench/surveys_bench.py does, then runs the CLI as its own process, signed in as the admin: the
import, then the same file again (all unchanged). Prints rows per second, total seconds, CPU seconds
per process and the CLI's peak memory (its own RSS high-water mark).
"""

import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import asyncpg
import openpyxl
from openpyxl.utils import get_column_letter
from rich.console import Console
from rich.table import Table

from bench.generator import COUNTY_FILE_HEADERS, SyntheticCounty
from bench.surveys_bench import PASSWORD, PG_SERVER, separate_system

COUNTY = "522627000000"
VILLAGE_SIZE = 500
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
INLINE = re.compile(rb'<c r="([A-Z]+[0-9]+)" t="inlineStr"><is><t[^>]*>(.*?)</t></is></c>')
SHARED_STRINGS_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
SHARED_STRINGS_RELATION = (
    b'<Relationship Id="rIdSharedStrings" Target="sharedStrings.xml" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
)


def write_county_file(path: Path, households: int) -> int:
    """The county's file, streamed to disk and laid out as Excel saves it; returns the number of rows."""
    villages = max(1, households // VILLAGE_SIZE)
    townships = max(1, villages // 20)
    county = SyntheticCounty(
        COUNTY, seed=7, townships=townships, villages_per_township=max(1, villages // townships)
    )
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("贫困户成员")
    sheet.append(list(COUNTY_FILE_HEADERS))
    rows = 0
    for household in county.households(households):
        for row in household.county_rows():
            sheet.append(list(row))
            rows += 1
    draft = path.with_suffix(".draft.xlsx")
    workbook.save(draft)
    as_excel_saves(draft, path, f"A1:{get_column_letter(len(COUNTY_FILE_HEADERS))}{rows + 1}")
    draft.unlink()
    return rows


def as_excel_saves(source: Path, target: Path, dimension: str) -> None:
    """Rewrite openpyxl's streamed workbook the way Excel and WPS save one: the sheet's size stated in
    <dimension>, text in a shared-strings table instead of inline (both read faster: the bench reads
    what counties actually have)."""
    strings: dict[bytes, int] = {}

    def shared(match: re.Match[bytes]) -> bytes:
        index = strings.setdefault(match[2], len(strings))
        return b'<c r="' + match[1] + b'" t="s"><v>' + str(index).encode() + b"</v></c>"

    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        sheet_name = next(name for name in old.namelist() if name.startswith("xl/worksheets/"))
        with old.open(sheet_name) as reading, new.open(sheet_name, "w") as writing:
            pending = reading.read(1 << 20).replace(
                b"<sheetViews>", f'<dimension ref="{dimension}"/><sheetViews>'.encode(), 1
            )
            while True:
                chunk = reading.read(1 << 20)
                complete, _, rest = pending.rpartition(b"</row>")
                if complete and chunk:
                    writing.write(INLINE.sub(shared, complete) + b"</row>")
                    pending = rest + chunk
                elif chunk:
                    pending += chunk
                else:
                    writing.write(INLINE.sub(shared, pending))
                    break
        with new.open("xl/sharedStrings.xml", "w") as writing:
            writing.write(f'<sst xmlns="{MAIN_NS}" uniqueCount="{len(strings)}">'.encode())
            for text in strings:
                writing.write(b"<si><t>" + text + b"</t></si>")
            writing.write(b"</sst>")
        for name in old.namelist():
            content = old.read(name) if name != sheet_name else None
            if content is None:
                continue
            if name == "[Content_Types].xml":
                content = content.replace(b"</Types>", SHARED_STRINGS_TYPE + b"</Types>")
            elif name == "xl/_rels/workbook.xml.rels":
                content = content.replace(b"</Relationships>", SHARED_STRINGS_RELATION + b"</Relationships>")
            new.writestr(name, content)


def run_cli(gateway_url: str, path: Path) -> tuple[dict[str, Any], float, int, float]:
    """(the CLI's JSON summary, wall seconds, peak RSS in KiB, CPU seconds) of one import, its own process."""
    command = [
        sys.executable, "-m", "services.cli", "--url", gateway_url, "--username", "admin",
        "--password", PASSWORD,
        "--json", "households", "import", str(path),
    ]  # fmt: skip
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE)  # noqa: S603 (our own interpreter)
    assert process.stdout is not None
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        raise RuntimeError(f"the import exited with {process.returncode}: {output.decode()[-2000:]}")
    return json.loads(output), seconds, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


async def stored(database: str) -> dict[str, int]:
    connection = await asyncpg.connect(f"postgresql://{PG_SERVER}/{database}")
    try:
        row = await connection.fetchrow(
            """
            SELECT (SELECT count(*) FROM registry.households) AS households,
                   (SELECT count(*) FROM registry.members) AS members,
                   (SELECT count(*) FROM registry.household_versions) AS versions,
                   (SELECT count(*) FROM registry.outbox_events) AS events,
                   (SELECT count(*) FROM registry.audit_records WHERE action = 'household.import') AS audited
            """
        )
    finally:
        await connection.close()
    return dict(row)


def main() -> None:
    households = int(os.environ.get("FUPIN_BENCH_IMPORT", "100000"))
    path = Path(tempfile.gettempdir()) / f"fupin_import_bench_{households}.xlsx"
    if not path.exists():
        started = time.perf_counter()
        rows = write_county_file(path, households)
        print(f"wrote {path} ({rows:,} rows) in {time.perf_counter() - started:.0f} s", flush=True)
    print(f"importing {path} ({path.stat().st_size / 1e6:.1f} MB)", flush=True)
    workers = int(os.environ.get("FUPIN_BENCH_REGISTRY_WORKERS", "2"))
    runs = []
    with separate_system(workers) as system:
        for label in ("first import", "same file again"):
            cpu_before = system.cpu_seconds()
            summary, seconds, rss, cli_cpu = run_cli(system.gateway_url, path)
            cpu = {name: used - cpu_before[name] for name, used in system.cpu_seconds().items()}
            runs.append((label, summary, seconds, rss, {"CLI": cli_cpu, **cpu}, os.getloadavg()[0]))
        counts = asyncio.run(stored(system.database))
    table = Table(
        title=f"Household import through the gateway ({os.cpu_count()} cores, registry workers: {workers}): "
        f"{households:,} households"
    )
    for column in ("run", "households", "rows", "created", "unchanged", "rejected", "seconds", "rows/s",
                   "households/s", "CLI peak RSS", "CPU s (CLI, gateway, registry)", "load avg"):  # fmt: skip
        table.add_column(column, justify="right")
    for label, summary, seconds, rss, cpu, load in runs:
        table.add_row(
            label, f"{summary['households']:,}", f"{summary['rows']:,}", f"{summary['created']:,}",
            f"{summary['unchanged']:,}", f"{summary['rejected']:,}", f"{seconds:.0f}",
            f"{summary['rows'] / seconds:,.0f}", f"{summary['households'] / seconds:,.0f}",
            f"{rss / 1024:.0f} MB", ", ".join(f"{used:.0f}" for used in cpu.values()), f"{load:.1f}",
        )  # fmt: skip
    console = Console(width=200)
    console.print(table)
    console.print(f"target: 100,000 households in ≤ 300 s; stored: {json.dumps(counts)}")
    console.print("load average: 1-minute, at the end of each run (the machine is shared with other work)")


if __name__ == "__main__":
    main()
