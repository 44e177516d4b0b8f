"""A phone's sync (离线同步): assigned households and its own submissions' states after one cursor.

The registry's own change feed is projected, one event at a time and in feed order, into
assignment entries (each household's village, version and last change), tombstones (a household
that left a village) and each submission's place in its author's feed. The projection is serial,
so its numbers are committed in order and a cursor never skips a change that committed late.

A cadre's assignments are the households in the villages of their regions (the same rule that
lets them survey a household); a household that moves to another village or takes a removed
status (revoked by default) reaches the phones of its old village as a tombstone.
"""

import hashlib
import re
import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.auth import Principal
from services.kit.database import Database
from services.kit.errors import FieldError, Unprocessable
from services.kit.outbox import FeedConsumer, FeedEvent, FeedPage, read_feed
from services.registry import contract
from services.registry.households.identity import PiiVault
from services.registry.households.service import household_out
from services.registry.models import (
    AssignmentEntry,
    AssignmentTombstone,
    ConsumerCursor,
    Household,
    OutboxEvent,
)
from services.registry.surveys import repository as submissions
from services.registry.surveys.schemas import SyncPage
from services.registry.surveys.service import result_of
from services.registry.sync import repository

FEED = "registry:mobile-sync"


def projector(database: Database, removed_statuses: tuple[str, ...], poll_seconds: float) -> FeedConsumer:
    """The worker that keeps the sync projection up to date from the registry's own feed."""

    async def fetch(after: int, limit: int) -> FeedPage:
        return await read_feed(database, OutboxEvent, after, limit)

    async def handle(session: AsyncSession, event: FeedEvent) -> None:
        await project(session, event, removed_statuses)

    return FeedConsumer(
        feed=FEED,
        database=database,
        cursor_model=ConsumerCursor,
        fetch_page=fetch,
        handle=handle,
        poll_seconds=poll_seconds,
    )


async def project(session: AsyncSession, event: FeedEvent, removed_statuses: tuple[str, ...]) -> None:
    if event.type == contract.SURVEY_STATUS_CHANGED:
        status = contract.SurveyStatusChanged.model_validate(event.payload)
        await submissions.mark_synced(session, status.submission_id, event.sequence)
        return
    if event.type != contract.HOUSEHOLD_CHANGED:
        return
    payload = event.payload
    household_id = uuid.UUID(payload["household_id"])
    village_code = str(payload["village_code"])
    entry = await repository.entry(session, household_id)
    if entry is None:
        entry = AssignmentEntry(household_id=household_id)
        session.add(entry)
    elif entry.village_code != village_code and not entry.removed:
        session.add(
            AssignmentTombstone(
                household_id=household_id, village_code=entry.village_code, sequence=event.sequence
            )
        )
    entry.village_code = village_code
    entry.version = int(payload["version"])
    entry.removed = payload["status"] in removed_statuses
    entry.sequence = event.sequence


def _scope(principal: Principal) -> str:
    """Who the cursor was made for: a cursor from other regions (or another user) starts over."""
    return hashlib.sha256("|".join([principal.subject, *sorted(principal.regions)]).encode()).hexdigest()[:12]


# ASCII digits only (str.isdigit() accepts "²" and "①", which int() refuses), and few enough
# that int() stays cheap and the position fits the feed's bigint.
_POSITION = re.compile(r"[0-9]{1,18}", re.ASCII)


def _parse(cursor: str | None, principal: Principal) -> tuple[int, bool]:
    """(position, reset): no cursor, or one made for another scope, starts from the beginning."""
    if not cursor:
        return 0, False
    number, _, scope = cursor.partition(".")
    if not _POSITION.fullmatch(number):
        raise Unprocessable(
            "The cursor is not one this server gave.",
            "同步游标无效。",
            fields=[FieldError(loc=["query", "after"], message="unknown cursor", message_zh="无效的游标")],
        )
    if scope != _scope(principal):
        return 0, True
    return int(number), False


async def sync_page(
    session: AsyncSession, principal: Principal, cursor: str | None, limit: int, vault: PiiVault
) -> SyncPage:
    after, reset = _parse(cursor, principal)
    upto = await repository.position(session, FEED)
    if after > upto:
        after, reset = 0, True  # a cursor from the future: the server was restored from a backup
    prefixes = principal.region_prefixes()
    entries = await repository.entries(session, prefixes, after, upto, limit, with_removed=after > 0)
    tombstones = await repository.tombstones(session, prefixes, after, upto, limit) if after > 0 else []
    mine = await submissions.changed_for(session, principal.subject, after, upto, limit)

    full = [rows[-1].sequence for rows in (entries, tombstones) if len(rows) == limit]
    if len(mine) == limit:
        full.append(mine[-1].sync_sequence or upto)
    boundary = min(full) if full else upto
    entries = [row for row in entries if row.sequence <= boundary]
    tombstones = [row for row in tombstones if row.sequence <= boundary]
    mine = [row for row in mine if (row.sync_sequence or 0) <= boundary]

    kept = [row.household_id for row in entries if not row.removed]
    households, members = await repository.households_with_members(session, kept)
    dropped = {row.household_id for row in entries if row.removed} | {row.household_id for row in tombstones}
    missing = await submissions.missing_attachments(session, [row.id for row in mine])
    return SyncPage(
        households=[
            household_out(household, members.get(household.id, []), vault)
            for household in _in_order(households, kept)
        ],
        removed=sorted(dropped - set(kept)),
        submissions=[result_of(row, missing.get(row.id, [])) for row in mine],
        next_after=f"{boundary}.{_scope(principal)}",
        more=bool(full),
        reset=reset,
    )


def _in_order(households: Sequence[Household], order: list[uuid.UUID]) -> list[Household]:
    by_id = {household.id: household for household in households}
    return [by_id[household_id] for household_id in order if household_id in by_id]
