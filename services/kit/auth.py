"""Who is calling: the principal behind a verified token, its roles, scopes and regions."""

import enum
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.kit.errors import Forbidden, Unauthorized
from services.kit.regions import region_prefix
from services.kit.tokens import InvalidToken, TokenVerifier


class Role(enum.StrEnum):
    """Roles of people; the Chinese label is what county staff read."""

    CADRE = "cadre"
    VILLAGE_OFFICER = "village_officer"
    TOWNSHIP_REVIEWER = "township_reviewer"
    COUNTY_APPROVER = "county_approver"
    FINANCE_OFFICER = "finance_officer"
    AUDITOR = "auditor"
    ADMIN = "admin"

    @property
    def label_zh(self) -> str:
        return ROLE_LABELS_ZH[self]


ROLE_LABELS_ZH = {
    Role.CADRE: "帮扶干部",
    Role.VILLAGE_OFFICER: "村干部",
    Role.TOWNSHIP_REVIEWER: "乡镇审核人",
    Role.COUNTY_APPROVER: "县级审批人",
    Role.FINANCE_OFFICER: "财务人员",
    Role.AUDITOR: "审计员",
    Role.ADMIN: "管理员",
}


class PartnerScope(enum.StrEnum):
    """What a partner system (a bank) may be granted; each scope opens one narrow endpoint."""

    CREDIT_CHECK = "credit:check"
    PAYMENTS_NOTIFY = "payments:notify"
    LOANS_REPORT = "loans:report"

    @property
    def label_zh(self) -> str:
        return PARTNER_SCOPE_LABELS_ZH[self]


PARTNER_SCOPE_LABELS_ZH = {
    PartnerScope.CREDIT_CHECK: "贷款对象建档立卡身份核验",
    PartnerScope.PAYMENTS_NOTIFY: "支付结果通知",
    PartnerScope.LOANS_REPORT: "扶贫小额信贷报送",
}


class PrincipalKind(enum.StrEnum):
    USER = "user"
    CLIENT = "client"
    SERVICE = "service"


@dataclass(frozen=True)
class Principal:
    """A verified caller: a person with roles and regions, or a client with scopes."""

    subject: str
    kind: PrincipalKind
    name: str = ""
    roles: frozenset[str] = field(default_factory=frozenset)
    regions: tuple[str, ...] = ()
    scopes: frozenset[str] = field(default_factory=frozenset)
    session_id: str | None = None

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> "Principal":
        try:
            kind = PrincipalKind(claims.get("typ", "user"))
        except ValueError as exc:
            raise Unauthorized("Unknown token type.", "令牌类型无效。") from exc
        scope = claims.get("scope", "")
        return cls(
            subject=str(claims["sub"]),
            kind=kind,
            name=str(claims.get("name", "")),
            roles=frozenset(claims.get("roles", [])),
            regions=tuple(claims.get("regions", [])),
            scopes=frozenset(scope.split()) if isinstance(scope, str) else frozenset(),
            session_id=claims.get("sid"),
        )

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    def region_prefixes(self) -> tuple[str, ...]:
        """Code prefixes this principal may see; admins and services see everything."""
        if self.is_admin or self.kind is PrincipalKind.SERVICE:
            return ("",)
        return tuple(region_prefix(code) for code in self.regions)

    def covers(self, region_code: str) -> bool:
        return any(region_code.startswith(prefix) for prefix in self.region_prefixes())


_bearer = HTTPBearer(auto_error=False, description="Access token from /api/v1/auth/login")


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("Missing bearer token.", "缺少访问令牌。", headers={"WWW-Authenticate": "Bearer"})
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        claims = await verifier.verify(credentials.credentials)
    except InvalidToken as exc:
        raise Unauthorized(
            f"Invalid token: {exc}.", "访问令牌无效或已过期。", headers={"WWW-Authenticate": "Bearer"}
        ) from exc
    principal = Principal.from_claims(claims)
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """Dependency: the caller must be a person holding one of these roles (admins always pass)."""

    async def dependency(principal: PrincipalDep) -> Principal:
        if principal.kind is PrincipalKind.USER and (principal.is_admin or principal.has_role(*roles)):
            return principal
        raise Forbidden("Your role may not do this.", "您的角色无权执行此操作。")

    return dependency


def require_scope(scope: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """Dependency: the caller must be a client or service granted this scope."""

    async def dependency(principal: PrincipalDep) -> Principal:
        if principal.kind in (PrincipalKind.CLIENT, PrincipalKind.SERVICE) and scope in principal.scopes:
            return principal
        raise Forbidden(f"Scope {scope} required.", f"需要授权范围 {scope}。")

    return dependency


def roles_of(values: Iterable[str]) -> list[Role]:
    return [Role(value) for value in values]
