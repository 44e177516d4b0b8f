"""Household rules: the file from surveys and corrections, each change a version, read within regions."""

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import record_audit
from services.kit.auth import Principal, Role
from services.kit.database import flush_or_conflict
from services.kit.errors import Conflict, FieldError, Forbidden, NotFound, Unprocessable
from services.kit.outbox import publish
from services.kit.regions import county_of
from services.registry import concurrency, contract
from services.registry.clock import Clock
from services.registry.households import history, repository
from services.registry.households.identity import InvalidIdNumber, PiiVault, check_id_number, mask_id_number
from services.registry.models import (
    AuditRecord,
    DuplicateFlag,
    Household,
    HouseholdStatusChange,
    HouseholdVersion,
    Member,
    OutboxEvent,
)
from services.registry.schemas import (
    HouseholdDiffOut,
    HouseholdOut,
    HouseholdProfileIn,
    HouseholdRevise,
    HouseholdSnapshotOut,
    HouseholdVersionOut,
    IncomeIn,
    MemberDetails,
    MemberIn,
    MemberLookupOut,
    MemberOut,
    MemberRevise,
    StatusChangeOut,
    SurveySubmit,
)
from services.registry.vocabulary import (
    Health,
    HouseholdCategory,
    HouseholdStatus,
    LabourCapacity,
    PovertyCause,
    PovertyDegree,
    Relation,
    SchoolingStage,
    WorkLocation,
    label_of,
)

NOT_FOUND = ("Household not found.", "未找到该户。")
REVEAL_ROLES = (Role.VILLAGE_OFFICER, Role.TOWNSHIP_REVIEWER, Role.COUNTY_APPROVER)
"""Roles that check the file against the hukou book and the registration certificate (001 [K])."""
DUPLICATE_OPEN = "open"


def per_capita_net_income(income: IncomeIn, member_count: int) -> int:
    """(wages + production net + property + transfers − production costs) / members, in fen (人均纯收入)."""
    net = (
        income.wages_fen
        + income.production_net_fen
        + income.property_fen
        + income.transfer_fen
        - income.production_cost_fen
    )
    return net // member_count


def mask_account(number: str) -> str:
    return "*" * (len(number) - 4) + number[-4:]


def validated_members(members: Sequence[MemberIn]) -> list[str]:
    """Normalised ID numbers, in member order; 422 listing every bad field otherwise."""
    problems: list[FieldError] = []
    numbers: list[str] = []
    for position, member in enumerate(members):
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
    heads = [m for m in members if m.relation is Relation.HEAD]
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


def member_out(member: Member, id_number: str | None = None) -> MemberOut:
    return MemberOut(
        id=member.id,
        name=member.name,
        id_number_masked=member.id_number_masked,
        sex=member.sex,
        birth_date=member.birth_date,
        relation=member.relation,
        relation_label=Relation(member.relation).label_zh,
        labour_capacity=member.labour_capacity,
        labour_capacity_label=LabourCapacity(member.labour_capacity).label_zh,
        labour_willing=member.labour_willing,
        health=member.health,
        health_label=label_of(Health, member.health),
        disability_grade=member.disability_grade,
        schooling_stage=member.schooling_stage,
        schooling_stage_label=label_of(SchoolingStage, member.schooling_stage),
        dropout=member.dropout,
        medical_insurance=member.medical_insurance,
        pension_insurance=member.pension_insurance,
        skills=list(member.skills or []),
        work_location=member.work_location,
        work_location_label=label_of(WorkLocation, member.work_location),
        months_worked=member.months_worked,
        public_welfare_job=member.public_welfare_job,
        id_number=id_number,
    )


def household_out(
    household: Household, members: Sequence[Member], vault: PiiVault, *, reveal: bool = False
) -> HouseholdOut:
    masked_account = household.bank_account_masked
    if masked_account is None and household.bank_account_cipher is not None:
        masked_account = mask_account(vault.decrypt(household.bank_account_cipher))
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
        bank_account_masked=masked_account,
        members=[
            member_out(member, vault.decrypt(member.id_number_cipher) if reveal else None)
            for member in members
        ],
        updated_at=household.updated_at,
        group_name=household.group_name,
        poverty_degree=household.poverty_degree,
        poverty_degree_label=label_of(PovertyDegree, household.poverty_degree),
        main_cause=household.main_cause,
        main_cause_label=label_of(PovertyCause, household.main_cause),
        secondary_causes=list(household.secondary_causes or []),
        dibao_allowance_fen=household.dibao_allowance_fen,
        food_clothing_secure=household.food_clothing_secure,
        education_secured=household.education_secured,
        medical_secured=household.medical_secured,
        housing_secured=household.housing_secured,
        relocated=household.relocated,
        registered_on=household.registered_on,
        exit_year=household.exit_year,
        exited_on=household.exited_on,
        grace_ends_on=household.grace_ends_on,
    )


def household_changed(
    household: Household, members: Sequence[Member], *, status_changed: bool = False
) -> contract.HouseholdChanged:
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
                labour_willing=member.labour_willing,
                health=member.health,
                disability_grade=member.disability_grade,
                schooling_stage=member.schooling_stage,
                dropout=member.dropout,
                medical_insurance=member.medical_insurance,
            )
            for member in members
        ],
        category=household.category,
        poverty_degree=household.poverty_degree,
        transfer_fen=household.transfer_fen,
        dibao_allowance_fen=household.dibao_allowance_fen,
        housing_area_m2=household.housing_area_m2,
        drinking_water_safe=household.drinking_water_safe,
        food_clothing_secure=household.food_clothing_secure,
        education_secured=household.education_secured,
        medical_secured=household.medical_secured,
        housing_secured=household.housing_secured,
        dibao=household.category in (HouseholdCategory.DIBAO, HouseholdCategory.DIBAO_POOR),
        wubao=household.category == HouseholdCategory.WUBAO,
        registered_on=household.registered_on,
        exit_year=household.exit_year,
        exited_on=household.exited_on,
        grace_ends_on=household.grace_ends_on,
        status_changed=status_changed,
    )


def ensure_current(household: Household, base_version: int | None) -> None:
    """409 `stale_version` when the change was based on an older version than the one stored."""
    concurrency.ensure_current(household, base_version, what="household", what_zh="户信息")


async def record_change(
    session: AsyncSession,
    household: Household,
    members: Sequence[Member],
    *,
    principal: Principal,
    action: str,
    reason: str,
    created: bool = False,
    status_changed: bool = False,
    detail: dict[str, Any] | None = None,
) -> HouseholdVersion:
    """Make the change a new version: its snapshot, its field list, an audit record and a feed event."""
    if not created:
        household.version += 1
        await session.flush()
    previous = None if created else await repository.get_version(session, household.id, household.version - 1)
    current = history.snapshot(household, members)
    changes = history.diff(previous.snapshot if previous else None, current)
    version = HouseholdVersion(
        household_id=household.id,
        version=household.version,
        author=principal.subject,
        author_name=principal.name,
        action=action,
        reason=reason,
        changed=[change.path for change in changes],
        snapshot=current,
    )
    session.add(version)
    if not created:  # nobody else can write a version of a household made in this transaction
        # Someone else wrote this version number first (no row lock on their path): ours is stale.
        stale = Conflict(
            "The household was changed by someone else at the same time; reload it and retry.",
            "该户信息刚被他人修改,请刷新后重新提交。",
            code="stale_version",
        )
        await flush_or_conflict(session, stale)
    record_audit(
        session,
        AuditRecord,
        actor=principal,
        action=action,
        entity_type="household",
        entity_id=str(household.id),
        reason=reason,
        detail={"version": household.version, "changed": version.changed, **(detail or {})},
    )
    publish(
        session,
        OutboxEvent,
        contract.HOUSEHOLD_CHANGED,
        str(household.id),
        household_changed(household, members, status_changed=status_changed).model_dump(mode="json"),
    )
    return version


async def change_status(
    session: AsyncSession,
    household: Household,
    to_status: HouseholdStatus,
    *,
    principal: Principal,
    reason: str,
    case_id: uuid.UUID | None,
    updates: dict[str, Any] | None = None,
) -> None:
    """Move a household to a new status (with the fields that go with it), kept in its status history."""
    members = await repository.active_members(session, household.id)
    from_status = household.status
    household.status = to_status.value
    for name, value in (updates or {}).items():
        setattr(household, name, value)
    version = await record_change(
        session,
        household,
        members,
        principal=principal,
        action=f"household.status.{to_status.value}",
        reason=reason,
        status_changed=True,
        detail={"from_status": from_status, "to_status": to_status.value, "case_id": str(case_id)},
    )
    session.add(
        HouseholdStatusChange(
            household_id=household.id,
            household_version=version.version,
            from_status=from_status,
            to_status=to_status.value,
            changed_by=principal.subject,
            reason=reason,
            case_id=case_id,
        )
    )


async def visible_household(
    session: AsyncSession, household_id: uuid.UUID, principal: Principal, *, for_update: bool = False
) -> Household:
    household = await repository.get_household(
        session, household_id, principal.region_prefixes(), for_update=for_update
    )
    if household is None:
        raise NotFound(*NOT_FOUND)
    return household


async def get_household(
    session: AsyncSession,
    household_id: uuid.UUID,
    principal: Principal,
    vault: PiiVault,
    *,
    reveal: bool = False,
) -> HouseholdOut:
    household = await visible_household(session, household_id, principal)
    if reveal:
        if not (principal.is_admin or principal.has_role(*REVEAL_ROLES)):
            raise Forbidden(
                "Your role may not see full ID numbers.",
                "您的角色无权查看完整身份证号码。",
                code="reveal_forbidden",
            )
        # Seeing full numbers is recorded like a change: who looked at whose numbers, and when.
        record_audit(
            session,
            AuditRecord,
            actor=principal,
            action="household.reveal_id_numbers",
            entity_type="household",
            entity_id=str(household.id),
            reason="查看完整身份证号码",
            detail={"version": household.version},
        )
    return household_out(
        household, await repository.active_members(session, household.id), vault, reveal=reveal
    )


def _apply_profile(household: Household, profile: HouseholdProfileIn) -> None:
    for name in HouseholdProfileIn.model_fields:
        if name not in profile.model_fields_set:
            continue
        value = getattr(profile, name)
        if name == "secondary_causes":
            value = [cause.value for cause in value or []]
        elif hasattr(value, "value"):
            value = value.value
        setattr(household, name, value)


def _apply_member_details(member: Member, details: MemberDetails) -> None:
    for name in MemberDetails.model_fields:
        if name not in details.model_fields_set:
            continue
        value = getattr(details, name)
        if name == "skills":
            value = list(value or [])
        elif name in ("dropout", "public_welfare_job"):
            value = bool(value)
        elif hasattr(value, "value"):
            value = value.value
        setattr(member, name, value)


async def apply_survey(
    session: AsyncSession,
    survey: SurveySubmit,
    household: Household | None,
    *,
    principal: Principal,
    vault: PiiVault,
    reason: str = "入户调查",
    numbers: list[str] | None = None,
) -> Household:
    """Create the household, or revise it, from a valid survey: a new version, audited and published.

    The caller has locked `household` and checked the survey's base version (see `ensure_current`);
    `numbers` are the members' ID numbers when the caller has just validated them (`validated_members`).
    """
    numbers = validated_members(survey.members) if numbers is None else numbers
    indexes = [vault.blind_index(number) for number in numbers]
    await _refuse_members_of_other_households(session, indexes, household, principal)
    created = household is None
    # A household created just now has no members yet: nothing to read back.
    current = [] if household is None else await repository.active_members(session, household.id)
    household, members = _surveyed(session, survey, household, current, numbers, indexes, vault)
    taken = Conflict(
        "A member is already an active member of another household.",
        "有成员已登记在其他户中。",
        code="member_in_other_household",
    )
    await flush_or_conflict(session, taken)

    await record_change(
        session,
        household,
        members,
        principal=principal,
        action="household.create" if created else "household.revise",
        reason=reason,
        created=created,
        detail={"submission_id": str(survey.submission_id)},
    )
    await flag_likely_duplicates(session, [household.id])
    return household


async def create_from_surveys(
    session: AsyncSession, surveys: Sequence[tuple[SurveySubmit, Principal]], vault: PiiVault
) -> list[Household | None]:
    """New households from many valid surveys of new households, written together (the survey applier).

    Each gets what `apply_survey` gives one: the same rows, version 1, its audit record and event,
    namesakes flagged. None, in its place, for a survey with a member already active in another
    household or in an earlier survey here: the caller applies it alone, which says why it cannot be.
    IntegrityError when someone else wrote one of these members meanwhile (the caller's savepoint
    undoes the lot).
    """
    prepared = []
    for survey, principal in surveys:
        numbers = validated_members(survey.members)
        prepared.append((survey, principal, numbers, [vault.blind_index(number) for number in numbers]))
    taken = await repository.active_indexes(session, [index for *_, indexes in prepared for index in indexes])
    made: list[tuple[Household, list[Member], SurveySubmit, Principal] | None] = []
    for survey, principal, numbers, indexes in prepared:
        if taken.intersection(indexes):
            made.append(None)
            continue
        taken.update(indexes)
        household, members = _surveyed(session, survey, None, [], numbers, indexes, vault)
        made.append((household, members, survey, principal))
    await session.flush()
    for entry in made:
        if entry is not None:
            household, members, survey, principal = entry
            await record_change(
                session,
                household,
                members,
                principal=principal,
                action="household.create",
                reason="入户调查",
                created=True,
                detail={"submission_id": str(survey.submission_id)},
            )
    await flag_likely_duplicates(session, [entry[0].id for entry in made if entry is not None])
    return [entry[0] if entry is not None else None for entry in made]


def _surveyed(
    session: AsyncSession,
    survey: SurveySubmit,
    household: Household | None,
    current: Sequence[Member],
    numbers: list[str],
    indexes: list[str],
    vault: PiiVault,
) -> tuple[Household, list[Member]]:
    """The household and its active members as the survey says, added to the session (not flushed)."""
    head = next(m for m in survey.members if m.relation is Relation.HEAD)
    fields: dict[str, Any] = {
        "village_code": survey.village_code,
        "head_name": head.name,
        "member_count": len(survey.members),
        "wages_fen": survey.income.wages_fen,
        "production_net_fen": survey.income.production_net_fen,
        "property_fen": survey.income.property_fen,
        "transfer_fen": survey.income.transfer_fen,
        "production_cost_fen": survey.income.production_cost_fen,
        "per_capita_net_income_fen": per_capita_net_income(survey.income, len(survey.members)),
        "housing_structure": survey.housing.structure,
        "housing_area_m2": survey.housing.area_m2,
        "housing_safety_grade": survey.housing.safety_grade.value,
        "drinking_water_safe": survey.housing.drinking_water_safe,
    }
    if survey.bank_account is not None:
        fields["bank_name"] = survey.bank_account.bank_name
        fields["bank_account_masked"] = mask_account(survey.bank_account.account_number)
    if household is None:
        household = Household(
            id=uuid.uuid4(),  # known now: its members are written in the same flush
            status=HouseholdStatus.APPLICANT.value,
            category=HouseholdCategory.NOT_POOR.value,
            secondary_causes=[],
            **fields,
        )
        session.add(household)
    else:
        for name, value in fields.items():
            setattr(household, name, value)
    if survey.profile is not None:
        _apply_profile(household, survey.profile)
    if survey.bank_account is not None:
        household.bank_account_cipher = vault.encrypt(survey.bank_account.account_number)
    existing = {m.id_number_index: m for m in current}
    members: list[Member] = []
    for member_in, number, index in zip(survey.members, numbers, indexes, strict=True):
        member = existing.pop(index, None)
        if member is None:
            member = Member(
                household_id=household.id,
                id_number_cipher=vault.encrypt(number),
                id_number_index=index,
                id_number_masked=mask_id_number(number),
                skills=[],
            )
            session.add(member)
        member.name = member_in.name
        member.sex = member_in.sex.value
        member.birth_date = member_in.birth_date
        member.relation = member_in.relation.value
        member.labour_capacity = member_in.labour_capacity.value
        _apply_member_details(member, member_in)
        members.append(member)
    for gone in existing.values():
        gone.active = False
    return household, members


async def flag_likely_duplicates(session: AsyncSession, household_ids: Sequence[uuid.UUID]) -> None:
    """Same name and birth date as an active member of another household in the county: flag, never refuse."""
    flagged: set[frozenset[uuid.UUID]] = set()
    # The members are flushed already; what else is pending (version, audit, events) goes with the
    # caller's next flush, one INSERT per table instead of one here and one there.
    with session.no_autoflush:
        namesakes = await repository.unflagged_namesakes(session, household_ids)
    for member, household, village, other, other_household in namesakes:
        pair = frozenset((member, other))
        if pair in flagged:  # both members are among these households: one flag for the two
            continue
        flagged.add(pair)
        session.add(
            DuplicateFlag(
                county_code=county_of(village),
                member_id=member,
                household_id=household,
                other_member_id=other,
                other_household_id=other_household,
                status=DUPLICATE_OPEN,
            )
        )
    if flagged:
        await session.flush()


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


async def revise(
    session: AsyncSession,
    household_id: uuid.UUID,
    body: HouseholdRevise,
    *,
    principal: Principal,
    vault: PiiVault,
) -> HouseholdOut:
    """Correct the household's file fields; the whole change is one new version."""
    household = await visible_household(session, household_id, principal, for_update=True)
    ensure_current(household, body.base_version)
    _apply_profile(household, body)
    if body.category is not None:
        household.category = body.category.value
    members = await repository.active_members(session, household.id)
    await record_change(
        session, household, members, principal=principal, action="household.correct", reason=body.reason
    )
    return household_out(household, members, vault)


async def revise_member(
    session: AsyncSession,
    household_id: uuid.UUID,
    member_id: uuid.UUID,
    body: MemberRevise,
    *,
    principal: Principal,
    vault: PiiVault,
) -> HouseholdOut:
    household = await visible_household(session, household_id, principal, for_update=True)
    ensure_current(household, body.base_version)
    members = await repository.active_members(session, household.id)
    member = next((m for m in members if m.id == member_id), None)
    if member is None:
        raise NotFound("No such active member in this household.", "该户无此成员。")
    _apply_member_details(member, body)
    if body.name is not None:
        member.name = body.name
    if body.relation is not None:
        member.relation = body.relation.value
    if body.labour_capacity is not None:
        member.labour_capacity = body.labour_capacity.value
    heads = sum(1 for m in members if m.relation == Relation.HEAD)
    if heads != 1:
        raise Unprocessable(
            "A household has exactly one head.",
            "每户必须有且只有一名户主。",
            fields=[
                FieldError(loc=["body", "relation"], message="exactly one head", message_zh="户主只能有一名")
            ],
        )
    if member.relation == Relation.HEAD:
        household.head_name = member.name
    await record_change(
        session, household, members, principal=principal, action="member.correct", reason=body.reason
    )
    return household_out(household, members, vault)


async def lookup(
    session: AsyncSession, id_number: str, *, principal: Principal, vault: PiiVault
) -> MemberLookupOut:
    """The active member holding an ID number, within the caller's regions (404 otherwise)."""
    found = await repository.active_member_by_index(
        session, vault.blind_index(id_number), principal.region_prefixes()
    )
    if found is None:
        raise NotFound(
            "No active member with this ID number in your regions.", "您的管辖范围内无此身份证号码的成员。"
        )
    return MemberLookupOut(
        member_id=found.id,
        household_id=found.household_id,
        village_code=found.village_code,
        name=found.name,
        id_number_masked=found.id_number_masked,
        relation=found.relation,
        relation_label=Relation(found.relation).label_zh,
        household_status=found.status,
        household_status_label=HouseholdStatus(found.status).label_zh,
    )


async def versions(
    session: AsyncSession, household_id: uuid.UUID, principal: Principal
) -> list[HouseholdVersionOut]:
    await visible_household(session, household_id, principal)
    return [HouseholdVersionOut.model_validate(v) for v in await repository.versions(session, household_id)]


async def version(
    session: AsyncSession, household_id: uuid.UUID, number: int, principal: Principal
) -> HouseholdSnapshotOut:
    await visible_household(session, household_id, principal)
    found = await repository.get_version(session, household_id, number)
    if found is None:
        raise NotFound("No such version of this household.", "该户无此版本。")
    return HouseholdSnapshotOut.model_validate(found)


async def as_of(
    session: AsyncSession, household_id: uuid.UUID, day: dt.date, principal: Principal, clock: Clock
) -> HouseholdSnapshotOut:
    """The file as it stood at the end of `day` (the county's calendar)."""
    await visible_household(session, household_id, principal)
    # The file has no future: a later date is answered as of today (and 9999-12-31 has no next day).
    day = min(day, clock.today())
    found = await repository.version_before(
        session, household_id, clock.start_of_day(day + dt.timedelta(days=1))
    )
    if found is None:
        raise NotFound("The household had no file yet on that date.", "该日期时该户尚未建档。")
    return HouseholdSnapshotOut.model_validate(found)


async def diff(
    session: AsyncSession, household_id: uuid.UUID, from_version: int, to_version: int, principal: Principal
) -> HouseholdDiffOut:
    await visible_household(session, household_id, principal)
    older = await repository.get_version(session, household_id, from_version)
    newer = await repository.get_version(session, household_id, to_version)
    if older is None or newer is None:
        raise NotFound("No such version of this household.", "该户无此版本。")
    return HouseholdDiffOut(
        household_id=household_id,
        from_version=from_version,
        to_version=to_version,
        changes=history.diff(older.snapshot, newer.snapshot),
    )


async def status_history(
    session: AsyncSession, household_id: uuid.UUID, principal: Principal
) -> list[StatusChangeOut]:
    await visible_household(session, household_id, principal)
    return [
        StatusChangeOut(
            household_version=change.household_version,
            from_status=change.from_status,
            from_status_label=label_of(HouseholdStatus, change.from_status),
            to_status=change.to_status,
            to_status_label=HouseholdStatus(change.to_status).label_zh,
            changed_at=change.changed_at,
            changed_by=change.changed_by,
            reason=change.reason,
            case_id=change.case_id,
        )
        for change in await repository.status_changes(session, household_id)
    ]


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
