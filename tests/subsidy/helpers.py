"""A county set up for subsidy tests: staff, fund sources, programs, households the registry knows."""

import datetime as dt
import uuid
from typing import Any

import httpx

from bench.generator import SyntheticCounty
from services.eligibility import contract as eligibility
from services.kit.outbox import FeedEvent
from services.registry import contract as registry
from services.subsidy.beneficiaries.service import apply_assessment_event, apply_household_event
from services.subsidy.models import Beneficiary, HouseholdStatus
from tests.support.system import RunningSystem, auth, eventually

COUNTY = "522627000000"
TOWNSHIP = "522627001000"
VILLAGE = "522627001201"
OTHER_VILLAGE = "522627002201"


class County:
    """Staff of 天柱县 and helpers to fund and run programs there."""

    def __init__(self, system: RunningSystem) -> None:
        self.system = system
        self.api = system.api
        self.tokens: dict[str, str] = {}
        self._synthetic = SyntheticCounty(COUNTY, seed=77)
        self._version = 1000
        self._surveys: dict[uuid.UUID, dict[str, Any]] = {}

    @property
    def http(self) -> httpx.AsyncClient:
        return self.api.http

    async def staff(self) -> "County":
        for name, role, region in (
            ("finance", "finance_officer", COUNTY),
            ("approver", "county_approver", COUNTY),
            ("township", "township_reviewer", TOWNSHIP),
            ("village", "village_officer", VILLAGE),
            ("cadre", "cadre", VILLAGE),
        ):
            self.tokens[name] = await self.api.create_user(
                self.system.admin_token, f"{name}.{uuid.uuid4().hex[:6]}", [role], [region]
            )
        return self

    def as_(self, who: str) -> dict[str, str]:
        return auth(self.tokens[who])

    async def fund(self, code: str, granted_fen: int, allowed: list[str] | None = None) -> dict[str, Any]:
        response = await self.http.post(
            "/api/v1/fund-sources",
            headers=self.as_("finance"),
            json={
                "code": code,
                "name_zh": "中央财政专项扶贫资金",
                "level": "central",
                "county_code": COUNTY,
                "year": 2026,
                "document_no": f"黔财农〔2026〕{code}",
                "granted_fen": granted_fen,
                "allowed_schemes": allowed or [],
            },
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def program(
        self, scheme: str | None, kind: str, budget_fen: int, fund: str, year: int = 2026
    ) -> dict[str, Any]:
        response = await self.http.post(
            "/api/v1/programs",
            headers=self.as_("finance"),
            json={
                "code": f"p-{uuid.uuid4().hex[:10]}",
                "name_zh": "测试项目",
                "kind": kind,
                "scheme_code": scheme,
                "fund_source": fund,
                "county_code": COUNTY,
                "year": year,
                "budget_fen": budget_fen,
            },
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def known(
        self,
        household_id: uuid.UUID | None = None,
        *,
        village: str = VILLAGE,
        status: str = "registered",
        exit_year: int | None = None,
        poor: bool = True,
        extreme: bool = False,
        programs: dict[str, int] | None = None,
    ) -> uuid.UUID:
        """Tell the subsidy service what the registry and eligibility feeds would say of a household."""
        household_id = household_id or uuid.uuid4()
        self._version += 1
        now = dt.datetime.now(dt.UTC)
        changed = registry.HouseholdChanged(
            household_id=household_id,
            version=self._version,
            village_code=village,
            status=status,
            member_count=3,
            per_capita_net_income_fen=150_000,
            housing_safety_grade="C",
            members=[],
            exit_year=exit_year,
        )
        assessed = eligibility.AssessmentRecorded(
            assessment_id=uuid.uuid4(),
            household_id=household_id,
            household_version=self._version,
            village_code=village,
            policy_code="cn-national",
            policy_version=1,
            category="general_poor" if poor else "not_poor",
            poor=poor,
            assessed_at=now,
            extreme_poverty=extreme,
            programs=programs or {},
        )
        database = self.system.app("subsidy").state.database
        async with database.sessionmaker() as session, session.begin():
            for kind, payload in (
                (registry.HOUSEHOLD_CHANGED, changed),
                (eligibility.ASSESSMENT_RECORDED, assessed),
            ):
                event = FeedEvent(
                    sequence=0,
                    event_id=uuid.uuid4(),
                    type=kind,
                    key=str(household_id),
                    occurred_at=now,
                    payload=payload.model_dump(mode="json"),
                )
                handler = (
                    apply_household_event if kind == registry.HOUSEHOLD_CHANGED else apply_assessment_event
                )
                await handler(session, event)
        return household_id

    async def surveyed(self, village: str = VILLAGE, **status: Any) -> tuple[uuid.UUID, str]:
        """A real household in the registry (with its 一卡通 account), registered for subsidies."""
        household = next(self._synthetic.households(1, village))
        response = await self.http.post("/api/v1/surveys", json=household.survey(), headers=self.as_("cadre"))
        assert response.status_code == 201, response.text
        household_id = uuid.UUID(response.json()["household_id"])
        self._surveys[household_id] = household.survey()

        async def projected() -> bool:
            async with self.system.app("subsidy").state.database.sessionmaker() as session:
                status = await session.get(HouseholdStatus, household_id)
                return status is not None and await session.get(Beneficiary, household_id) is not None

        # The registry and eligibility feeds bring this household in on their own; overriding it
        # before they have would race them.
        await eventually(projected)
        await self.known(household_id, village=village, **status)
        return household_id, household.bank_account["account_number"]

    async def correct_account(self, household_id: uuid.UUID, account_number: str) -> None:
        """The cadre revisits and records the household's corrected 一卡通 account in the registry."""
        body = {**self._surveys[household_id], "submission_id": str(uuid.uuid4())}
        body.update(household_id=str(household_id), base_version=1)
        body["bank_account"] = {**body["bank_account"], "account_number": account_number}
        response = await self.http.post("/api/v1/surveys", json=body, headers=self.as_("cadre"))
        assert response.status_code == 201, response.text

    async def pay(
        self,
        program: dict[str, Any],
        household_id: uuid.UUID,
        amount_fen: int,
        key: str | None = None,
        **extra: Any,
    ) -> httpx.Response:
        return await self.http.post(
            "/api/v1/payments",
            headers={**self.as_("finance"), "Idempotency-Key": key or f"pay-{uuid.uuid4()}"},
            json={
                "program_id": program["id"],
                "household_id": str(household_id),
                "amount_fen": amount_fen,
                **extra,
            },
        )

    async def program_state(self, program_id: str) -> dict[str, Any]:
        response = await self.http.get("/api/v1/programs", headers=self.as_("finance"))
        return next(p for p in response.json() if p["id"] == program_id)

    async def payment(self, payment_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/api/v1/payments/{payment_id}", headers=self.as_("finance"))
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def settled(self, payment_id: str, within: float = 60) -> dict[str, Any]:
        async def final() -> dict[str, Any] | None:
            body = await self.payment(payment_id)
            return body if body["status"] in ("paid", "failed") else None

        return await eventually(final, within=within)
