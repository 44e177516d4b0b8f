"""Records of seed 002 (户有卡、村有册): the household card and the village roster, as JSON or XLSX."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.auth import Principal
from services.kit.errors import NotFound
from services.registry.cases.service import case_brief
from services.registry.clock import Clock
from services.registry.divisions import repository as divisions
from services.registry.divisions.service import is_village
from services.registry.households import repository as household_repository
from services.registry.households import service as households
from services.registry.households.identity import PiiVault
from services.registry.measures import repository as measures
from services.registry.measures.service import measure_out
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


async def roster(
    session: AsyncSession, village_code: str, *, principal: Principal, clock: Clock
) -> VillageRoster:
    """村有册: every registered and exited household of the village with its members (ID numbers masked)."""
    if not is_village(village_code) or not principal.covers(village_code):
        raise NotFound("No such village in your regions.", "您的管辖范围内无此村。")
    rows = await repository.roster_households(session, village_code)
    members = await repository.roster_members(session, village_code)
    helpers = await repository.roster_helpers(session, village_code)
    income_measures = await repository.roster_income_measures(session, village_code, clock.today())
    division = await divisions.get(session, village_code)
    return VillageRoster(
        village_code=village_code,
        village_name=division.name if division else None,
        poor_village_label=PoorVillageKind(division.poor_village).label_zh
        if division and division.poor_village
        else None,
        generated_at=clock.now(),
        households=[
            RosterRow(
                household_id=household.id,
                head_name=household.head_name,
                head_id_masked=next(
                    (
                        m.id_number_masked
                        for m in members.get(household.id, [])
                        if m.relation == Relation.HEAD
                    ),
                    "",
                ),
                group_name=household.group_name,
                member_count=household.member_count,
                category_label=LABELS_ZH[HouseholdCategory, household.category],
                poverty_degree_label=label_of(PovertyDegree, household.poverty_degree),
                main_cause_label=label_of(PovertyCause, household.main_cause),
                per_capita_net_income_fen=household.per_capita_net_income_fen,
                status_label=LABELS_ZH[HouseholdStatus, household.status],
                registered_on=household.registered_on,
                exit_year=household.exit_year,
                helper_name=helpers.get(household.id),
                income_measures=income_measures.get(household.id, 0),
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
                    for m in members.get(household.id, [])
                ],
            )
            for household in rows
        ],
    )
