"""Who may receive a program and how much: eligibility, amount rules, caps, entitlement keys.

Caps are checked twice: when money is promised (an application approved, a direct payment queued:
`use_allowance` under a row lock) and again when a payment is made (`check_caps_at_payment`, which
re-reads the numbers in force and the money already in live payments).
"""

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.auth import Principal
from services.kit.errors import Conflict, NotFound, Unprocessable
from services.subsidy.catalogue.service import Rules, rules_for
from services.subsidy.entitlements import repository
from services.subsidy.models import Program

TOTAL = "total"


class CapExceeded(Conflict):
    code = "cap_exceeded"


@dataclass(frozen=True)
class Household:
    """What the subsidy service knows of a household when paying it."""

    household_id: uuid.UUID
    village_code: str
    basis: str


async def program_rules(session: AsyncSession, program: Program, on: dt.date) -> Rules | None:
    if program.scheme_code is None:
        return None
    return await rules_for(session, program.scheme_code, program.county_code, on)


async def eligible_household(
    session: AsyncSession,
    program: Program,
    rules: Rules | None,
    household_id: uuid.UUID,
    actor: Principal | None,
    *,
    override_reason: str | None = None,
) -> Household:
    """The household if it may receive the program; 404 outside the caller's regions, 422 if not eligible."""
    beneficiary = await repository.beneficiary(session, household_id)
    status = await repository.household_status(session, household_id)
    village = status.village_code if status else beneficiary.village_code if beneficiary else None
    if village is None or (actor is not None and not actor.covers(village)):
        raise NotFound("Household not found or not assessed yet.", "未找到该户或该户尚未评估。")
    if village[:6] != program.county_code[:6]:
        raise Unprocessable(
            "The household is in another county.", "该户不属于本项目所在县。", code="not_eligible"
        )
    if rules is None:
        # A local program outside the catalogue: paid to households assessed as poor, budget only.
        if beneficiary is None or not beneficiary.poor:
            raise Unprocessable(
                "The household is not assessed as poor.",
                "该户评估结果为非贫困户,不能发放。",
                code="not_eligible",
            )
        return Household(household_id, village, "assessed poor")
    scheme = rules.scheme
    if scheme.payee_kind != "household":
        raise Unprocessable(
            f"{scheme.name_en} is paid to enterprises or agencies, not households.",
            f"{scheme.name_zh}的补助对象为经营主体或中介机构,不发放到户。",
            code="not_eligible",
        )
    wanted = scheme.eligibility
    statuses = set(wanted.get("statuses", []))
    basis = []
    if statuses:
        grace = rules.number("exited_grace_years") or 0
        if status is None:
            raise Unprocessable(
                "The household's registration status is not known yet.",
                "尚未获知该户的建档立卡状态。",
                code="not_eligible",
            )
        in_grace = (
            status.status == "exited"
            and status.exit_year is not None
            and program.year <= status.exit_year + grace
        )
        if status.status not in statuses - {"exited"} and not in_grace:
            raise Unprocessable(
                f"Household status {status.status} may not receive {scheme.name_en}"
                f" (exited households keep it for {grace} years after exit).",
                f"该户状态不符合{scheme.name_zh}的享受条件(脱贫户脱贫后{grace}年内可继续享受)。",
                code="not_eligible",
            )
        basis.append(f"status {status.status}" + (f" (exited {status.exit_year}, grace)" if in_grace else ""))
    categories = set(wanted.get("categories", []))
    if categories and (beneficiary is None or beneficiary.category not in categories):
        raise Unprocessable(
            "The household's category does not qualify.", "该户类别不符合享受条件。", code="not_eligible"
        )
    flags = set(wanted.get("flags_any", []))
    if flags:
        has = flags.intersection(beneficiary.flags if beneficiary else [])
        if has:
            basis.append("flag " + ",".join(sorted(has)))
        elif override_reason and wanted.get("township_may_override"):
            basis.append(f"township decision: {override_reason}")
        else:
            raise Unprocessable(
                f"The household's assessment lacks {', '.join(sorted(flags))}.",
                "该户评估结果不符合享受条件(如非极端贫困户)。",
                code="not_eligible",
            )
    return Household(household_id, village, "; ".join(basis))


def check_amount(rules: Rules | None, amount_fen: int) -> None:
    """One payment's amount against the scheme's per-payment numbers (8000元以下 is ≤ 800,000 fen)."""
    if rules is None:
        return
    high, low = rules.number("max_per_payment_fen"), rules.number("min_per_payment_fen")
    if high is not None and amount_fen > high:
        raise CapExceeded(
            f"{amount_fen} fen is above the {high} fen allowed per payment.",
            f"单笔金额超过上限 {high / 100:.2f} 元。",
        )
    if low is not None and amount_fen < low:
        raise Unprocessable(
            f"{amount_fen} fen is below the {low} fen minimum.", f"单笔金额低于下限 {low / 100:.2f} 元。"
        )
    ranges = rules.values.get("amount_ranges_fen")
    if ranges and not any(int(a) <= amount_fen <= int(b) for a, b in ranges):
        allowed = ", ".join(f"{a / 100:.0f}" if a == b else f"{a / 100:.0f}–{b / 100:.0f}" for a, b in ranges)
        raise Unprocessable(
            f"{amount_fen} fen is not one of the scheme's amounts ({allowed} yuan).",
            f"金额不符合补助标准({allowed} 元)。",
            code="amount_not_allowed",
        )


def entitlement_key(rules: Rules | None, program: Program, member_id: uuid.UUID | None, fallback: str) -> str:
    """What one payment settles: once per member, per member and year, per household, or per request."""
    once = rules.values.get("once_per") if rules else None
    if once in ("member", "member_year"):
        if member_id is None:
            raise Unprocessable(
                "This program is paid per person: give member_id.", "该项目按人发放,请提供 member_id。"
            )
        return f"member:{member_id}" + (f":{program.year}" if once == "member_year" else "")
    if once == "household":
        return "household"
    if once == "household_year":
        return f"year:{program.year}"
    return fallback


async def use_caps(
    session: AsyncSession, rules: Rules | None, program: Program, household_id: uuid.UUID, amount_fen: int
) -> None:
    """Count money promised to a household against the scheme's yearly and lifetime caps (row-locked)."""
    if rules is None:
        return
    code = rules.scheme.code
    for period, cap, label in (
        (str(program.year), rules.number("max_per_household_year_fen"), "每户每年"),
        (TOTAL, rules.number("max_per_household_total_fen"), "每户累计"),
    ):
        if not await repository.use_allowance(session, code, household_id, period, amount_fen, cap):
            assert cap is not None
            raise CapExceeded(
                f"The household would exceed the cap of {cap} fen ({period}).",
                f"超过{rules.scheme.name_zh}{label}补助上限 {cap / 100:.0f} 元。",
            )


async def release_caps(
    session: AsyncSession,
    rules_scheme: str | None,
    program: Program,
    household_id: uuid.UUID,
    amount_fen: int,
) -> None:
    """Give back what a failed direct payment or a cancelled approval had counted."""
    if rules_scheme is None:
        return
    for period in (str(program.year), TOTAL):
        await repository.use_allowance(session, rules_scheme, household_id, period, -amount_fen, None)


async def check_caps_at_payment(
    session: AsyncSession, rules: Rules | None, program: Program, household_id: uuid.UUID, amount_fen: int
) -> None:
    """The second check, when paying: the numbers in force now against money already in live payments."""
    if rules is None:
        return
    code = rules.scheme.code
    for period, cap, year in (
        (str(program.year), rules.number("max_per_household_year_fen"), program.year),
        (TOTAL, rules.number("max_per_household_total_fen"), None),
    ):
        if cap is None:
            continue
        # Lock the household's allowance row so two payments of one household are checked one at a time.
        await repository.allowance_used(session, code, household_id, period, lock=True)
        paid = await repository.live_paid_under_scheme(session, code, household_id, year)
        if paid + amount_fen > cap:
            raise CapExceeded(
                f"Paying {amount_fen} fen would exceed the cap of {cap} fen ({period}).",
                f"本次支付将超过补助上限 {cap / 100:.0f} 元。",
            )
