"""Which service answers which public path, straight from each service's contract."""

from services.eligibility import contract as eligibility
from services.registry import contract as registry
from services.subsidy import contract as subsidy

DOWNSTREAMS = (registry, eligibility, subsidy)
ROUTES: tuple[tuple[str, str], ...] = tuple(
    sorted(
        ((prefix, contract.NAME) for contract in DOWNSTREAMS for prefix in contract.PUBLIC_PATH_PREFIXES),
        key=lambda route: -len(route[0]),
    )
)
SERVICE_SCOPES: dict[str, tuple[str, ...]] = {
    contract.NAME: contract.CLIENT_SCOPES for contract in DOWNSTREAMS
}


def service_for(path: str) -> str | None:
    for prefix, name in ROUTES:
        if path == prefix or path.startswith(prefix + "/"):
            return name
    return None
