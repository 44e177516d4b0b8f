"""`fupin feeds replay`: a service's events from a cursor, for admins only, as JSON lines."""

import json
from pathlib import Path
from typing import Any

from tests.cli.support import county_rows, fupin, write_xlsx
from tests.cli.test_household_import import VILLAGE, families
from tests.support.system import RunningSystem


def events_in(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


async def test_replay_from_a_cursor_gives_each_later_event_once(
    system: RunningSystem, tmp_path: Path
) -> None:
    households = families(61, 4)
    imported = await fupin(
        system, "households", "import", str(write_xlsx(tmp_path / "h.xlsx", county_rows(households)))
    )
    assert imported.exit_code == 0, imported.stdout

    everything = tmp_path / "all.jsonl"
    replayed = await fupin(system, "feeds", "replay", "registry", "--output", str(everything))
    assert replayed.exit_code == 0, replayed.stdout + replayed.stderr
    events = events_in(everything)
    changed = [e for e in events if e["type"] == "household.changed"]
    assert len(changed) == 4
    assert {e["payload"]["village_code"] for e in changed} == {VILLAGE}
    sequences = [e["sequence"] for e in events]
    assert sequences == sorted(set(sequences))
    assert replayed.json["cursor"] == sequences[-1]

    cursor, until = sequences[0], sequences[2]
    later = tmp_path / "later.jsonl"
    window = await fupin(
        system,
        "feeds",
        "replay",
        "registry",
        "--after",
        str(cursor),
        "--until",
        str(until),
        "--output",
        str(later),
    )
    assert window.exit_code == 0
    assert [e["sequence"] for e in events_in(later)] == sequences[1:3]


async def test_only_admins_replay_and_only_known_feeds(system: RunningSystem, tmp_path: Path) -> None:
    cadre = await system.api.create_user(system.admin_token, "cadre.feed", ["cadre"], [VILLAGE])
    refused = await fupin(system, "feeds", "replay", "registry", "--output", str(tmp_path / "x"), token=cadre)
    assert refused.exit_code == 3
    unknown = await fupin(system, "feeds", "replay", "gateway")
    assert unknown.exit_code == 2
