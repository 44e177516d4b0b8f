"""`fupin`: the admins' command line (管理命令行), calling the gateway's API like any other client."""

import dataclasses
import json
import sys
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.table import Table

from services.cli.api import Api, CliError, ExitCode
from services.cli.imports import MAX_BATCH, run_import
from services.cli.spreadsheet import Layout, read_rows

AUDITED_SERVICES = ("gateway", "registry", "eligibility", "subsidy")
DIVISIONS_PER_CALL = 5000
DIVISION_COLUMNS = {
    "区划代码": "code",
    "行政区划代码": "code",
    "代码": "code",
    "名称": "name",
    "村民小组": "groups",
}

app = typer.Typer(
    help="Fupin 扶贫 admin tool: accounts, divisions, imports, records, reviews, policies, audit."
)
users = typer.Typer(help="Accounts / 用户账号")
clients = typer.Typer(help="Partner clients (banks) / 合作机构接入")
divisions = typer.Typer(help="Administrative divisions / 行政区划")
households = typer.Typer(help="Households / 农户档案")
records = typer.Typer(help="Records (户有卡、村有册) / 档案导出")
reviews = typer.Typer(help="Annual review / 年度动态调整")
policies = typer.Typer(help="Eligibility policies / 识别政策")
audit = typer.Typer(help="Audit chains / 审计哈希链")
feeds = typer.Typer(help="Event feeds / 事件流")
for group, name in (
    (users, "users"),
    (clients, "clients"),
    (divisions, "divisions"),
    (households, "households"),
    (records, "records"),
    (reviews, "annual-review"),
    (policies, "policies"),
    (audit, "audit"),
    (feeds, "feeds"),
):
    app.add_typer(group, name=name)


@dataclasses.dataclass
class State:
    """Connection settings from the global options, and how to print."""

    url: str
    token: str | None
    username: str | None
    password: str | None
    client_id: str | None
    client_secret: str | None
    as_json: bool

    def api(self) -> Api:
        return Api(
            self.url,
            token=self.token,
            username=self.username,
            password=self.password,
            client_id=self.client_id,
            client_secret=self.client_secret,
        )


@app.callback()
def main(
    ctx: typer.Context,
    url: Annotated[str, typer.Option(envvar="FUPIN_URL", help="the gateway")] = "http://127.0.0.1:8000",
    token: Annotated[str | None, typer.Option(envvar="FUPIN_TOKEN", help="an access token")] = None,
    username: Annotated[str | None, typer.Option(envvar="FUPIN_USERNAME", help="sign in as")] = None,
    password: Annotated[str | None, typer.Option(envvar="FUPIN_PASSWORD", help="with this password")] = None,
    client_id: Annotated[
        str | None, typer.Option(envvar="FUPIN_CLIENT_ID", help="client credentials")
    ] = None,
    client_secret: Annotated[str | None, typer.Option(envvar="FUPIN_CLIENT_SECRET")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON for scripts")] = False,
) -> None:
    """Exit codes: 0 done, 1 rejected rows or a failed check, 2 usage, 3 auth, 4 server or network."""
    ctx.obj = State(url, token, username, password, client_id, client_secret, as_json)


def _execute(
    ctx: typer.Context, action: Callable[[Api, Console], Any], show: Callable[[Any, Console], None]
) -> None:
    """Run one command: its result as JSON or through `show`; a CliError becomes its exit code."""
    state: State = ctx.obj
    console = Console(stderr=True)
    try:
        api = state.api()
        try:
            result = action(api, console)
        finally:
            api.close()
    except CliError as exc:
        if state.as_json:
            print(
                json.dumps(
                    {"error": exc.message, "exit_code": int(exc.exit_code), "body": exc.body},
                    ensure_ascii=False,
                )
            )
        else:
            console.print(f"[red]错误 (error):[/red] {exc.message}", highlight=False)
        raise typer.Exit(int(exc.exit_code)) from exc
    if state.as_json:
        print(json.dumps(result, ensure_ascii=False, default=str))
    else:
        show(result, Console())
    if isinstance(result, dict) and result.get("exit_code"):
        raise typer.Exit(int(result["exit_code"]))


def _show_json(result: Any, console: Console) -> None:
    console.print_json(json.dumps(result, ensure_ascii=False, default=str))


def _idempotent() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


@users.command("create")
def create_user(
    ctx: typer.Context,
    username: str,
    role: Annotated[
        list[str], typer.Option(help="cadre, village_officer, township_reviewer, county_approver…")
    ],
    display_name: Annotated[str | None, typer.Option(help="姓名 shown to others")] = None,
    region: Annotated[list[str] | None, typer.Option(help="12-digit division code (repeat)")] = None,
    new_password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, envvar="FUPIN_NEW_PASSWORD")
    ] = "",
) -> None:
    """Create a person's account / 创建用户."""
    body = {
        "username": username,
        "display_name": display_name or username,
        "password": new_password,
        "roles": role,
        "regions": region or [],
    }
    _execute(ctx, lambda api, _console: api.request("POST", "/api/v1/users", json=body).json(), _show_json)


@users.command("list")
def list_users(ctx: typer.Context) -> None:
    """List accounts / 用户列表."""

    def show(result: Any, console: Console) -> None:
        table = Table("username", "display name", "roles", "regions", "disabled")
        for user in result:
            table.add_row(
                user["username"], user["display_name"], ",".join(user["roles"]), ",".join(user["regions"]),
                str(user.get("disabled", False)),
            )  # fmt: skip
        console.print(table)

    _execute(ctx, lambda api, _console: api.request("GET", "/api/v1/users").json(), show)


@clients.command("create")
def create_client(
    ctx: typer.Context,
    client_id: str,
    name: Annotated[str, typer.Option(help="the partner's name")],
    scope: Annotated[list[str], typer.Option(help="credit:check, payments:notify, loans:report")],
) -> None:
    """Register a partner client; its secret is shown once / 注册合作机构(密钥仅显示一次)."""
    body = {"client_id": client_id, "name": name, "scopes": scope}
    _execute(ctx, lambda api, _console: api.request("POST", "/api/v1/clients", json=body).json(), _show_json)


@divisions.command("load")
def load_divisions(ctx: typer.Context, file: Path) -> None:
    """Load divisions from XLSX/CSV (区划代码, 名称, 村民小组 separated by 、) / 导入行政区划."""

    def action(api: Api, _console: Console) -> dict[str, int]:
        totals = {"created": 0, "updated": 0}
        columns: list[str | None] = []
        chunk: list[dict[str, Any]] = []

        def send() -> None:
            result = api.request(
                "POST", "/api/v1/divisions", json={"divisions": chunk}, headers=_idempotent()
            ).json()
            totals["created"] += result["created"]
            totals["updated"] += result["updated"]
            chunk.clear()

        for _number, cells in read_rows(file):
            if not columns:
                columns = [DIVISION_COLUMNS.get(str(cell or "").strip()) for cell in cells]
                if "code" not in columns or "name" not in columns:
                    raise CliError(ExitCode.USAGE, "缺少必需的列:区划代码、名称")
                continue
            entry = {
                name: cell for name, cell in zip(columns, cells, strict=False) if name and cell is not None
            }
            if not entry:
                continue
            entry["code"] = str(entry.get("code", ""))
            entry["name"] = str(entry.get("name", ""))
            if "groups" in entry:
                entry["groups"] = [
                    group for group in str(entry["groups"]).replace(",", "、").split("、") if group
                ]
            chunk.append(entry)
            if len(chunk) == DIVISIONS_PER_CALL:
                send()
        if chunk:
            send()
        return totals

    _execute(ctx, action, _show_json)


@households.command("import")
def import_households(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="the county's XLSX or CSV (one row per member)")],
    mapping: Annotated[Path | None, typer.Option(help="YAML/JSON mapping for other layouts")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="check every row, store nothing")] = False,
    report: Annotated[Path | None, typer.Option(help="rejected rows, .xlsx or .csv")] = None,
    batch_size: Annotated[int, typer.Option(help=f"households per call (≤ {MAX_BATCH})")] = 250,
    concurrency: Annotated[int, typer.Option(min=1, max=8, help="calls in flight")] = 2,
) -> None:
    """Import households and members / 导入建档立卡农户及成员 (exit 1 when rows were rejected)."""
    layout = Layout.load(mapping)
    report_path = report or file.with_name(
        f"{file.stem}.rejected{'.csv' if file.suffix.lower() == '.csv' else '.xlsx'}"
    )

    def action(api: Api, console: Console) -> dict[str, Any]:
        summary = run_import(
            api,
            file,
            layout=layout,
            dry_run=dry_run,
            report_path=report_path,
            batch_size=batch_size,
            concurrency=concurrency,
            console=console,
        )
        result = dataclasses.asdict(summary)
        result["exit_code"] = int(ExitCode.REJECTED if summary.rejected_rows else ExitCode.OK)
        return result

    def show(result: dict[str, Any], console: Console) -> None:
        table = Table(title=f"{'校验(未写入)' if result['dry_run'] else '导入'} {result['file']}")
        table.add_column("项目")
        table.add_column("数量", justify="right")
        for label, key in (
            ("数据行 rows", "rows"),
            ("农户 households", "households"),
            ("新建 created" + (" (dry run)" if result["dry_run"] else ""), "created"),
            ("未变 unchanged", "unchanged"),
            ("退回的户 rejected", "rejected"),
            ("退回的行 rejected rows", "rejected_rows"),
        ):
            table.add_row(label, f"{result[key]:,}")
        table.add_row("用时 seconds", f"{result['seconds']:.1f}")
        console.print(table)
        if result["unknown_columns"]:
            console.print(f"未识别而忽略的列 (ignored columns): {'、'.join(result['unknown_columns'])}")
        if result["report"]:
            console.print(f"退回原因见 (rejected rows and reasons): {result['report']}")

    _execute(ctx, action, show)


@records.command("export")
def export_records(
    ctx: typer.Context,
    village: Annotated[str | None, typer.Option(help="a village's roster (村有册)")] = None,
    household: Annotated[str | None, typer.Option(help="a household's card (户有卡)")] = None,
    out: Annotated[Path | None, typer.Option(help="where to write the XLSX")] = None,
) -> None:
    """Export a village roster or a household card as XLSX / 导出村有册、户有卡."""
    if (village is None) == (household is None):
        raise typer.BadParameter("give --village or --household")
    path = (
        f"/api/v1/divisions/{village}/roster.xlsx" if village else f"/api/v1/households/{household}/card.xlsx"
    )
    target = out or Path(f"{village or household}.xlsx")

    def action(api: Api, _console: Console) -> dict[str, Any]:
        content = api.request("GET", path).content
        target.write_bytes(content)
        return {"file": str(target), "bytes": len(content)}

    _execute(ctx, action, _show_json)


@reviews.command("run")
def run_annual_review(
    ctx: typer.Context,
    region_code: str,
    year: int,
    open_cases: Annotated[bool, typer.Option("--open-cases", help="open the proposed cases too")] = False,
) -> None:
    """Hold the annual review of a county or township / 年度动态调整."""

    def action(api: Api, _console: Console) -> dict[str, Any]:
        review: dict[str, Any] = api.request(
            "POST",
            "/api/v1/annual-reviews",
            json={"region_code": region_code, "year": year},
            headers=_idempotent(),
        ).json()
        if open_cases:
            review["opened"] = api.request(
                "POST", f"/api/v1/annual-reviews/{review['id']}/cases", json={}, headers=_idempotent()
            ).json()
        return review

    _execute(ctx, action, _show_json)


@policies.command("publish")
def publish_policy(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="the policy document, YAML or JSON")],
    reason: Annotated[str, typer.Option(help="why it is published / 发布原因")],
    reassess: Annotated[bool, typer.Option(help="reassess the region's households")] = True,
) -> None:
    """Create a policy draft from a file and publish it / 发布政策."""
    try:
        document = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        typer.echo(f"无法读取政策文件 (cannot read the policy): {exc}", err=True)
        raise typer.Exit(int(ExitCode.USAGE)) from exc

    def action(api: Api, _console: Console) -> dict[str, Any]:
        draft = api.request("POST", "/api/v1/policies", json={"document": document, "reason": reason}).json()
        published: dict[str, Any] = api.request(
            "POST",
            f"/api/v1/policies/{draft['id']}/publish",
            json={"version": draft["version"], "reason": reason, "reassess": reassess},
        ).json()
        return published

    _execute(ctx, action, _show_json)


@audit.command("verify")
def verify_audit(
    ctx: typer.Context,
    service: Annotated[list[str] | None, typer.Option(help="gateway, registry, eligibility, subsidy")] = None,
) -> None:
    """Verify the services' audit chains (exit 1 when one is broken) / 校验审计哈希链."""

    def action(api: Api, _console: Console) -> dict[str, Any]:
        reports = [
            api.request("GET", f"/api/v1/audit/{name}/verify").json() for name in service or AUDITED_SERVICES
        ]
        broken = [report["service"] for report in reports if not report["intact"]]
        return {
            "reports": reports,
            "intact": not broken,
            "exit_code": int(ExitCode.REJECTED if broken else ExitCode.OK),
        }

    def show(result: dict[str, Any], console: Console) -> None:
        table = Table("service", "records checked", "sealed now", "intact", "first broken id")
        for report in result["reports"]:
            table.add_row(
                report["service"], f"{report['records_checked']:,}", str(report["sealed_now"]),
                "✓" if report["intact"] else "✗", str(report["first_broken_id"] or ""),
            )  # fmt: skip
        console.print(table)

    _execute(ctx, action, show)


FEED_SERVICES = ("registry", "eligibility", "subsidy")
FEED_PAGE = 500  # the gateway's page cap


@feeds.command("replay")
def replay_feed(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(help="registry, eligibility or subsidy")],
    after: Annotated[int, typer.Option(min=0, help="the cursor: events after this sequence")] = 0,
    until: Annotated[int | None, typer.Option(min=1, help="stop after this sequence")] = None,
    output: Annotated[Path | None, typer.Option(help="JSON lines file (default: standard output)")] = None,
) -> None:
    """Replay a service's event feed from a cursor, one JSON event per line / 从游标重放事件流."""
    if service not in FEED_SERVICES:
        raise typer.BadParameter(f"one of {', '.join(FEED_SERVICES)}", param_hint="SERVICE")

    def action(api: Api, console: Console) -> dict[str, Any]:
        cursor, count = after, 0
        with output.open("w", encoding="utf-8") if output else nullcontext(sys.stdout) as sink:
            while until is None or cursor < until:
                page = api.request(
                    "GET", f"/api/v1/feeds/{service}/events", params={"after": cursor, "limit": FEED_PAGE}
                ).json()
                events = [e for e in page["events"] if until is None or e["sequence"] <= until]
                for event in events:
                    sink.write(json.dumps(event, ensure_ascii=False) + "\n")
                count += len(events)
                if len(page["events"]) < FEED_PAGE or len(events) < len(page["events"]):
                    cursor = events[-1]["sequence"] if events else cursor
                    break
                cursor = page["next_after"]
                console.print(f"{count:,} events, cursor {cursor}", highlight=False)
        return {"service": service, "after": after, "cursor": cursor, "events": count}

    def show(result: dict[str, Any], console: Console) -> None:
        Console(stderr=True).print(
            f"{result['events']:,} events from {result['service']} after {result['after']}; "
            f"next cursor {result['cursor']}",
            highlight=False,
        )

    _execute(ctx, action, show)


def run() -> None:
    """Console-script entry point (`fupin`)."""
    app(prog_name="fupin")
