"""The household file as data at one version (档案快照), and the field-level difference of two versions."""

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from services.registry.models import Household, Member
from services.registry.schemas import FieldChange

HOUSEHOLD_FIELDS = (
    "village_code",
    "group_name",
    "status",
    "category",
    "head_name",
    "member_count",
    "poverty_degree",
    "main_cause",
    "secondary_causes",
    "wages_fen",
    "production_net_fen",
    "property_fen",
    "transfer_fen",
    "production_cost_fen",
    "dibao_allowance_fen",
    "per_capita_net_income_fen",
    "housing_structure",
    "housing_area_m2",
    "housing_safety_grade",
    "drinking_water_safe",
    "food_clothing_secure",
    "education_secured",
    "medical_secured",
    "housing_secured",
    "relocated",
    "bank_name",
    "bank_account_masked",
    "registered_on",
    "exit_year",
    "exited_on",
    "grace_ends_on",
)
MEMBER_FIELDS = (
    "name",
    "id_number_masked",
    "sex",
    "birth_date",
    "relation",
    "labour_capacity",
    "labour_willing",
    "health",
    "disability_grade",
    "schooling_stage",
    "dropout",
    "medical_insurance",
    "pension_insurance",
    "skills",
    "work_location",
    "months_worked",
    "public_welfare_job",
)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        # 60.5 as typed and 60.50 as stored are one value: no change to report.
        return format(value.normalize(), "f")
    if isinstance(value, list):
        return list(value)
    return value


def snapshot(household: Household, members: Sequence[Member]) -> dict[str, Any]:
    """The whole file: household fields and active members keyed by member id (ID numbers masked)."""
    return {
        "household": {name: _plain(getattr(household, name)) for name in HOUSEHOLD_FIELDS},
        "members": {
            str(member.id): {name: _plain(getattr(member, name)) for name in MEMBER_FIELDS}
            for member in members
        },
    }


def diff(before: dict[str, Any] | None, after: dict[str, Any]) -> list[FieldChange]:
    """Every field that differs; a member who joined or left is one change of the whole member."""
    old_household = (before or {}).get("household", {})
    changes = [
        FieldChange(path=f"household.{name}", before=old_household.get(name), after=value)
        for name, value in after["household"].items()
        if old_household.get(name) != value
    ]
    old_members: dict[str, Any] = (before or {}).get("members", {})
    new_members: dict[str, Any] = after["members"]
    for member_id in sorted(old_members.keys() | new_members.keys()):
        old, new = old_members.get(member_id), new_members.get(member_id)
        if old is None or new is None:
            changes.append(FieldChange(path=f"members.{member_id}", before=old, after=new))
            continue
        changes.extend(
            FieldChange(path=f"members.{member_id}.{name}", before=old.get(name), after=value)
            for name, value in new.items()
            if old.get(name) != value
        )
    return changes
