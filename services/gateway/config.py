"""Gateway settings (environment prefix GATEWAY_)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.kit.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///data/gateway.db"
    db_schema: str = "gateway"

    registry_url: str = "http://registry:8000"
    eligibility_url: str = "http://eligibility:8000"
    subsidy_url: str = "http://subsidy:8000"
    downstream_timeout_seconds: float = 10.0

    service_clients: dict[str, str] = Field(
        default_factory=dict,
        description="service name -> client secret; each becomes client `svc-<name>` with its scopes",
    )
    access_token_seconds: int = 15 * 60

    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19 * 1024
    argon2_parallelism: int = 1
