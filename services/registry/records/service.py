"""Records of seed 002 (户有卡、村有册、乡有簿、县有档): card, roster, township book, county archive."""

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.auth import Principal
from services.kit.errors import NotFound
from services.kit.regions import LEVEL_LENGTHS, LEVEL_NAMES, region_bounds, region_prefix
from services.registry.cases.service import case_brief
from services.registry.clock import Clock
from services.registry.divisions import repository as divisions
from services.registry.divisions.service import is_village
from services.registry.households import repository as household_repository
from services.registry.households import service as households
from services.registry.households.identity import PiiVault
from services.registry.measures import repository as measures
from services.registry.measures.service import measure_out
from services.registry.models import Division
from services.registry.pairings import repository as pairings
from services.registry.records import repository
from services.registry.schemas import (
    HelperBrief,
    HouseholdCard,
    RosterMember,
    RosterRow,
    VillageRoster,
    VisitOut,
)
from services.registry.vocabulary import (
    LABELS_ZH,
    Health,
    HelperRank,
    HouseholdCategory,
    HouseholdStatus,
    LabourCapacity,
    PoorVillageKind,
    PovertyCause,
    PovertyDegree,
    Relation,
    SchoolingStage,
    Sex,
    label_of,
)

RECENT_VISITS = 12
_, _, COUNTY_LENGTH, TOWNSHIP_LENGTH, VILLAGE_LENGTH = LEVEL_LENGTHS


async def card(
    session: AsyncSession, household_id: uuid.UUID, *, principal: Principal, vault: PiiVault, clock: Clock
) -> HouseholdCard:
    """户有卡: the file with its helper, measures, recent visits, cases and status history."""
    household = await households.visible_household(session, household_id, principal)
    members = await household_repository.active_members(session, household.id)
    helper = (await pairings.active_helpers(session, [household.id])).get(household.id)
    return HouseholdCard(
        household=households.household_out(household, members, vault),
        helper=HelperBrief(
            id=helper.id,
            name=helper.name,
            rank_label=HelperRank(helper.rank).label_zh,
            unit=helper.unit,
            phone=helper.phone,
        )
        if helper
        else None,
        measures=[measure_out(m) for m in await measures.of_household(session, household.id)],
        recent_visits=[
            VisitOut.model_validate(v) for v in await pairings.visits(session, household.id, RECENT_VISITS)
        ],
        cases=[case_brief(c) for c in await repository.cases_of(session, household.id)],
        status_history=await households.status_history(session, household.id, principal),
        generated_at=clock.now(),
    )


def roster_row(row: Row[*tuple[Any, ...]], members: Sequence[Row[*tuple[Any, ...]]] = ()) -> RosterRow:
    """One household of a roster, book or archive, with its Chinese labels."""
    return RosterRow(
        household_id=row.id,
        village_code=row.village_code,
        head_name=row.head_name,
        head_id_masked=row.head_id_masked,
        group_name=row.group_name,
        member_count=row.member_count,
        category_label=LABELS_ZH[HouseholdCategory, row.category],
        poverty_degree_label=label_of(PovertyDegree, row.poverty_degree),
        main_cause_label=label_of(PovertyCause, row.main_cause),
        secondary_cause_labels=[LABELS_ZH[PovertyCause, code] for code in row.secondary_causes or []],
        per_capita_net_income_fen=row.per_capita_net_income_fen,
        status_label=LABELS_ZH[HouseholdStatus, row.status],
        registered_on=row.registered_on,
        exit_year=row.exit_year,
        helper_name=row.helper_name,
        income_measures=row.income_measures,
        members=[
            RosterMember(
                name=m.name,
                relation_label=LABELS_ZH[Relation, m.relation],
                sex_label=LABELS_ZH[Sex, m.sex],
                id_number_masked=m.id_number_masked,
                birth_date=m.birth_date,
                labour_capacity_label=LABELS_ZH[LabourCapacity, m.labour_capacity],
                health_label=label_of(Health, m.health),
                schooling_stage_label=label_of(SchoolingStage, m.schooling_stage),
            )
            for m in members
        ],
    )


def _visible(code: str, level_length: int, principal: Principal, zh: str) -> None:
    if len(region_prefix(code)) != level_length or not principal.covers(code):
        raise NotFound(f"No such {LEVEL_NAMES[LEVEL_LENGTHS.index(level_length)]} in your regions.", zh)


async def roster(
    session: AsyncSession, village_code: str, *, principal: Principal, clock: Clock
) -> VillageRoster:
    """村有册: every registered and exited household of the village with its members (ID numbers masked)."""
    _visible(village_code, VILLAGE_LENGTH, principal, "您的管辖范围内无此村。")
    rows = await repository.roster_households(session, village_code, clock.today())
    members = await repository.roster_members(session, village_code)
    division = await divisions.get(session, village_code)
    return VillageRoster(
        village_code=village_code,
        village_name=division.name if division else None,
        poor_village_label=PoorVillageKind(division.poor_village).label_zh
        if division and division.poor_village
        else None,
        generated_at=clock.now(),
        households=[roster_row(row, members.get(row.id, [])) for row in rows],
    )


@dataclass
class DivisionSummary:
    """A village's or township's households and people on the roster, by status (for 乡有簿 and 县有档)."""

    code: str
    name: str | None
    poor_village_label: str | None = None
    villages: int = 0
    households: int = 0
    members: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    def add(self, status: str, households: int, members: int) -> None:
        self.households += households
        self.members += members
        self.by_status[status] = self.by_status.get(status, 0) + households

    def add_village(self, village: "DivisionSummary") -> None:
        """Count a village's totals into its township's or the book's."""
        self.villages += 1
        self.members += village.members
        for status, count in village.by_status.items():
            self.add(status, count, 0)


@dataclass
class TownshipBook:
    """乡有簿: a township's villages, each with its households and a summary row."""

    code: str
    name: str | None
    generated_at: dt.datetime
    villages: list[DivisionSummary]
    households: dict[str, list[RosterRow]]


@dataclass
class CountyArchive:
    """县有档: the county's townships and villages summed up, and every household read in chunks."""

    code: str
    name: str | None
    generated_at: dt.datetime
    townships: list[DivisionSummary]
    villages: list[DivisionSummary]
    households: AsyncIterator[RosterRow]


async def _village_summaries(
    session: AsyncSession, region_code: str, names: dict[str, Division]
) -> list[DivisionSummary]:
    """Every village of the region that is in the division tree or has households on the roster."""
    summaries = {
        code: DivisionSummary(
            code=code,
            name=division.name,
            poor_village_label=label_of(PoorVillageKind, division.poor_village),
        )
        for code, division in names.items()
        if is_village(code)
    }
    for row in await repository.roster_counts(session, region_code):
        summary = summaries.setdefault(row.village_code, DivisionSummary(code=row.village_code, name=None))
        summary.add(row.status, int(row.households), int(row.members))
    return sorted(summaries.values(), key=lambda summary: summary.code)


async def township_book(
    session: AsyncSession, township_code: str, *, principal: Principal, clock: Clock
) -> TownshipBook:
    """乡有簿: the township's villages, each village's registered and exited households, summaries."""
    _visible(township_code, TOWNSHIP_LENGTH, principal, "您的管辖范围内无此乡镇。")
    households: dict[str, list[RosterRow]] = {}
    for row in await repository.roster_households(session, township_code, clock.today()):
        households.setdefault(row.village_code, []).append(roster_row(row))
    names = await divisions.within(session, *region_bounds(region_prefix(township_code)))
    township = names.get(township_code)
    return TownshipBook(
        code=township_code,
        name=township.name if township else None,
        generated_at=clock.now(),
        villages=await _village_summaries(session, township_code, names),
        households=households,
    )


async def county_archive(
    session: AsyncSession, county_code: str, *, principal: Principal, clock: Clock
) -> CountyArchive:
    """县有档: the county's summaries by township and village, and its households as a stream."""
    _visible(county_code, COUNTY_LENGTH, principal, "您的管辖范围内无此县。")
    names = await divisions.within(session, *region_bounds(region_prefix(county_code)))
    villages = await _village_summaries(session, county_code, names)
    townships: dict[str, DivisionSummary] = {}
    for village in villages:
        code = village.code[:TOWNSHIP_LENGTH].ljust(12, "0")
        division = names.get(code)
        townships.setdefault(
            code, DivisionSummary(code=code, name=division.name if division else None)
        ).add_village(village)
    county = names.get(county_code)
    rows = repository.stream_roster_households(session, county_code, clock.today())
    return CountyArchive(
        code=county_code,
        name=county.name if county else None,
        generated_at=clock.now(),
        townships=sorted(townships.values(), key=lambda summary: summary.code),
        villages=villages,
        households=(roster_row(row) async for row in rows),
    )
