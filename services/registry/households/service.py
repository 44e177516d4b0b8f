"""Household rules: creating and revising a household from a survey, reading it within one's regions."""

import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import record_audit
from services.kit.auth import Principal
from services.kit.errors import Conflict, FieldError, NotFound, Unprocessable
from services.kit.outbox import publish
from services.registry import contract
from services.registry.households import repository
from services.registry.households.identity import InvalidIdNumber, PiiVault, check_id_number, mask_id_number
from services.registry.models import AuditRecord, Household, Member, OutboxEvent
from services.registry.schemas import HouseholdOut, MemberOut, SurveySubmit
from services.registry.vocabulary import (
    HouseholdCategory,
    HouseholdStatus,
    LabourCapacity,
    Relation,
)

NOT_FOUND = ("Household not found.", "未找到该户。")


def per_capita_net_income(survey: SurveySubmit) -> int:
    """(wages + production net + property + transfers − production costs) / members, in fen (人均纯收入)."""
    income = survey.income
    net = (
        income.wages_fen
        + income.production_net_fen
        + income.property_fen
        + income.transfer_fen
        - income.production_cost_fen
    )
    return net // len(survey.members)


def validated_members(survey: SurveySubmit) -> list[str]:
    """Normalised ID numbers, in member order; 422 listing every bad field otherwise."""
    problems: list[FieldError] = []
    numbers: list[str] = []
    for position, member in enumerate(survey.members):
        try:
            numbers.append(check_id_number(member.id_number, member.birth_date, member.sex))
        except InvalidIdNumber as exc:
            numbers.append(member.id_number.upper())
            problems.append(
                FieldError(
                    loc=["body", "members", position, "id_number"],
                    message=str(exc),
                    message_zh=exc.message_zh,
                )
            )
    heads = [m for m in survey.members if m.relation is Relation.HEAD]
    if len(heads) != 1:
        problems.append(
            FieldError(
                loc=["body", "members"],
                message="A household has exactly one head.",
                message_zh="每户必须有且只有一名户主。",
            )
        )
    for position, number in enumerate(numbers):
        if number in numbers[:position]:
            problems.append(
                FieldError(
                    loc=["body", "members", position, "id_number"],
                    message="The same ID number appears twice.",
                    message_zh="同一身份证号码重复出现。",
                )
            )
    if problems:
        raise Unprocessable("The survey has invalid members.", "调查表成员信息有误。", fields=problems)
    return numbers


def household_out(household: Household, members: Sequence[Member], vault: PiiVault) -> HouseholdOut:
    account = vault.decrypt(household.bank_account_cipher) if household.bank_account_cipher else None
    return HouseholdOut(
        id=household.id,
        version=household.version,
        village_code=household.village_code,
        status=household.status,
        status_label=HouseholdStatus(household.status).label_zh,
        category=household.category,
        category_label=HouseholdCategory(household.category).label_zh,
        head_name=household.head_name,
        member_count=household.member_count,
        wages_fen=household.wages_fen,
        production_net_fen=household.production_net_fen,
        property_fen=household.property_fen,
        transfer_fen=household.transfer_fen,
        production_cost_fen=household.production_cost_fen,
        per_capita_net_income_fen=household.per_capita_net_income_fen,
        housing_structure=household.housing_structure,
        housing_area_m2=household.housing_area_m2,
        housing_safety_grade=household.housing_safety_grade,
        drinking_water_safe=household.drinking_water_safe,
        bank_name=household.bank_name,
        bank_account_masked=("*" * (len(account) - 4) + account[-4:]) if account else None,
        members=[
            MemberOut(
                id=member.id,
                name=member.name,
                id_number_masked=member.id_number_masked,
                sex=member.sex,
                birth_date=member.birth_date,
                relation=member.relation,
                relation_label=Relation(member.relation).label_zh,
                labour_capacity=member.labour_capacity,
                labour_capacity_label=LabourCapacity(member.labour_capacity).label_zh,
            )
            for member in members
        ],
        updated_at=household.updated_at,
    )


def household_changed(household: Household, members: Sequence[Member]) -> contract.HouseholdChanged:
    return contract.HouseholdChanged(
        household_id=household.id,
        version=household.version,
        village_code=household.village_code,
        status=household.status,
        member_count=household.member_count,
        per_capita_net_income_fen=household.per_capita_net_income_fen,
        housing_safety_grade=household.housing_safety_grade,
        members=[
            contract.MemberFacts(
                member_id=member.id,
                relation=member.relation,
                sex=member.sex,
                birth_date=member.birth_date,
                labour_capacity=member.labour_capacity,
            )
            for member in members
        ],
    )


async def get_household(
    session: AsyncSession, household_id: uuid.UUID, principal: Principal, vault: PiiVault
) -> HouseholdOut:
    household = await repository.get_household(session, household_id, principal.region_prefixes())
    if household is None:
        raise NotFound(*NOT_FOUND)
    return household_out(household, await repository.active_members(session, household.id), vault)


async def apply_survey(
    session: AsyncSession,
    survey: SurveySubmit,
    household: Household | None,
    *,
    principal: Principal,
    vault: PiiVault,
) -> Household:
    """Create the household, or revise it, from a valid survey; audit it and publish the change."""
    numbers = validated_members(survey)
    indexes = [vault.blind_index(number) for number in numbers]
    await _refuse_members_of_other_households(session, indexes, household, principal)
    head = next(m for m in survey.members if m.relation is Relation.HEAD)
    fields = {
        "village_code": survey.village_code,
        "head_name": head.name,
        "member_count": len(survey.members),
        "wages_fen": survey.income.wages_fen,
        "production_net_fen": survey.income.production_net_fen,
        "property_fen": survey.income.property_fen,
        "transfer_fen": survey.income.transfer_fen,
        "production_cost_fen": survey.income.production_cost_fen,
        "per_capita_net_income_fen": per_capita_net_income(survey),
        "housing_structure": survey.housing.structure,
        "housing_area_m2": survey.housing.area_m2,
        "housing_safety_grade": survey.housing.safety_grade.value,
        "drinking_water_safe": survey.housing.drinking_water_safe,
    }
    if survey.bank_account is not None:
        fields["bank_name"] = survey.bank_account.bank_name
    if household is None:
        household = Household(
            status=HouseholdStatus.APPLICANT.value, category=HouseholdCategory.NOT_POOR.value, **fields
        )
        session.add(household)
        changed = sorted(fields)
        action = "household.create"
    else:
        changed = sorted(name for name, value in fields.items() if getattr(household, name) != value)
        for name, value in fields.items():
            setattr(household, name, value)
        household.version += 1
        action = "household.revise"
    if survey.bank_account is not None:
        household.bank_account_cipher = vault.encrypt(survey.bank_account.account_number)
    await session.flush()

    existing = {m.id_number_index: m for m in await repository.active_members(session, household.id)}
    members: list[Member] = []
    for member_in, number, index in zip(survey.members, numbers, indexes, strict=True):
        member = existing.pop(index, None)
        if member is None:
            member = Member(
                household_id=household.id,
                id_number_cipher=vault.encrypt(number),
                id_number_index=index,
                id_number_masked=mask_id_number(number),
            )
            session.add(member)
        member.name = member_in.name
        member.sex = member_in.sex.value
        member.birth_date = member_in.birth_date
        member.relation = member_in.relation.value
        member.labour_capacity = member_in.labour_capacity.value
        members.append(member)
    for gone in existing.values():
        gone.active = False
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "A member is already an active member of another household.",
            "有成员已登记在其他户中。",
            code="member_in_other_household",
        ) from exc

    record_audit(
        session,
        AuditRecord,
        actor=principal,
        action=action,
        entity_type="household",
        entity_id=str(household.id),
        reason="入户调查",
        detail={"version": household.version, "changed": changed, "submission_id": str(survey.submission_id)},
    )
    publish(
        session,
        OutboxEvent,
        contract.HOUSEHOLD_CHANGED,
        str(household.id),
        household_changed(household, members).model_dump(mode="json"),
    )
    return household


async def _refuse_members_of_other_households(
    session: AsyncSession, indexes: list[str], household: Household | None, principal: Principal
) -> None:
    """409 naming the conflict when a member is active elsewhere (named only within the caller's regions)."""
    conflicts = [
        (household_id, village_code)
        for _index, household_id, village_code in await repository.active_member_households(session, indexes)
        if household is None or household_id != household.id
    ]
    if conflicts:
        household_id, village_code = conflicts[0]
        visible = principal.covers(village_code)
        raise Conflict(
            f"A member is already active in household {household_id}."
            if visible
            else "A member is already active in another household outside your regions.",
            f"有成员已登记在户 {household_id} 中。"
            if visible
            else "有成员已登记在您管辖范围以外的其他户中。",
            code="member_in_other_household",
        )


async def payee(session: AsyncSession, household_id: uuid.UUID, vault: PiiVault) -> contract.Payee:
    household = await repository.get_household(session, household_id, ("",))
    if household is None or household.bank_account_cipher is None or household.bank_name is None:
        raise NotFound("No payee account for this household.", "该户无一卡通账户。")
    return contract.Payee(
        household_id=household.id,
        account_name=household.head_name,
        bank_name=household.bank_name,
        account_number=vault.decrypt(household.bank_account_cipher),
    )
