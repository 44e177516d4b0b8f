"""`fupin households import`: a county file streamed to the registry's import endpoint, batch by batch."""

import time
import uuid
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from services.cli.api import Api, CliError, ExitCode
from services.cli.spreadsheet import Grouper, Household, Layout, Problem, Report, read_rows

IMPORTS = "/api/v1/households/imports"
MAX_BATCH = 500


@dataclass
class Summary:
    """What the import did, as printed (and as `--json`)."""

    file: str
    dry_run: bool
    rows: int = 0
    households: int = 0
    created: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejected_rows: int = 0
    report: str | None = None
    unknown_columns: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _households(
    path: Path, layout: Layout, progress: Progress, task: Any, grouper_out: list[Grouper]
) -> Iterator[Household]:
    rows = read_rows(path, lambda size: progress.update(task, total=size))
    grouper: Grouper | None = None
    for number, cells in rows:
        progress.advance(task)
        if number < layout.header_row:
            continue
        if grouper is None:
            grouper = Grouper(cells, layout)
            grouper_out.append(grouper)
            continue
        done = grouper.add(number, cells)
        if done is not None:
            yield done
    if grouper is None:
        raise CliError(ExitCode.USAGE, f"文件为空:第 {layout.header_row} 行没有表头 (no header row)")
    last = grouper.finish()
    if last is not None:
        yield last


def _batches(households: Iterator[Household], size: int) -> Iterator[list[Household]]:
    batch: list[Household] = []
    for household in households:
        batch.append(household)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _send(api: Api, batch: list[Household], dry_run: bool) -> dict[str, Any]:
    """One batch; sent again once if another writer raced it (409 import_conflict: re-sending is harmless)."""
    body = {"dry_run": dry_run, "households": [household.body for household in batch]}
    # A retry after a lost answer (504, a dropped connection) then reports what the batch created.
    key = {"idempotency-key": str(uuid.uuid4())}
    for attempt in range(2):
        response = api.request("POST", IMPORTS, json=body, allow=(409,), headers=key)
        if response.status_code != 409 or attempt == 1:
            break
    if response.status_code == 409:
        raise CliError(ExitCode.REJECTED, "导入冲突:部分农户正被他人同时写入,请稍后重试 (import conflict)")
    result: dict[str, Any] = response.json()
    return result


def run_import(
    api: Api,
    path: Path,
    *,
    layout: Layout,
    dry_run: bool,
    report_path: Path,
    batch_size: int,
    concurrency: int,
    console: Console,
) -> Summary:
    """Read, group, send in batches (a few in flight), and write every rejected row to the report."""
    if not 1 <= batch_size <= MAX_BATCH:
        raise CliError(ExitCode.USAGE, f"--batch-size 应在 1 到 {MAX_BATCH} 之间")
    summary = Summary(file=str(path), dry_run=dry_run)
    report = Report(report_path)
    started = time.perf_counter()
    groupers: list[Grouper] = []
    progress = Progress(
        TextColumn("[bold]导入 {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(
            "行 · 新建 {task.fields[created]:,} · 未变 {task.fields[unchanged]:,}"
            " · 退回 {task.fields[rejected]:,}"
        ),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
    )

    def settle(batch: list[Household], future: Future[dict[str, Any]]) -> None:
        result = future.result()
        for household, item in zip(batch, result["items"], strict=True):
            summary.households += 1
            if item["status"] == "rejected":
                for problem in item["problems"]:
                    report.add(Problem(problem["row"], household.head_id, problem["message_zh"]))
        summary.created += result["created"]
        summary.unchanged += result["unchanged"]
        summary.rejected += result["rejected"]
        progress.update(task, created=summary.created, unchanged=summary.unchanged, rejected=summary.rejected)

    with progress, ThreadPoolExecutor(max_workers=concurrency) as pool:
        task = progress.add_task(path.name, total=None, created=0, unchanged=0, rejected=0)
        in_flight: deque[tuple[list[Household], Future[dict[str, Any]]]] = deque()
        try:
            for batch in _batches(_households(path, layout, progress, task, groupers), batch_size):
                in_flight.append((batch, pool.submit(_send, api, batch, dry_run)))
                if len(in_flight) > concurrency:
                    settle(*in_flight.popleft())
            while in_flight:
                settle(*in_flight.popleft())
        finally:
            for _batch, future in in_flight:
                future.cancel()
    for grouper in groupers:
        summary.unknown_columns = grouper.unknown
        summary.rows = grouper.rows
        for problem in grouper.problems:
            report.add(problem)
    report.close()
    summary.rejected_rows = report.rows
    summary.report = str(report_path) if report.rows else None
    summary.seconds = round(time.perf_counter() - started, 2)
    return summary
