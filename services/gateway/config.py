"""Gateway settings (environment prefix GATEWAY_); every security parameter is one of these."""

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
    export_timeout_seconds: float = Field(
        default=180.0, description="for a workbook export (.xlsx): a county archive takes tens of seconds"
    )

    service_clients: dict[str, str] = Field(
        default_factory=dict,
        description="service name -> client secret; each becomes client `svc-<name>` with its scopes",
    )

    access_token_seconds: int = Field(default=15 * 60, description="lifetime of an access token")
    refresh_token_seconds: int = Field(
        default=14 * 24 * 3600, description="a refresh token unused this long expires (idle phone)"
    )
    session_max_seconds: int = Field(
        default=30 * 24 * 3600, description="a device session ends this long after sign-in, used or not"
    )
    key_publish_lead_seconds: int = Field(
        default=120,
        description="a rotated key is published this long before it signs; keep it above every service's "
        "jwks_max_age_seconds plus state_reload_seconds, so each verifier knows the key before it is used",
    )
    state_reload_seconds: float = Field(
        default=5.0, description="how often a replica reloads signing keys and revocations"
    )

    password_min_length: int = 10
    lockout_failures: int = Field(default=5, description="failed logins that lock an account ...")
    lockout_window_seconds: int = Field(default=15 * 60, description="... within this many seconds")

    rate_limit_window_seconds: int = 60
    rate_limit_user_requests: int = Field(default=600, description="per person per window")
    rate_limit_client_requests: int = Field(default=1200, description="per partner or service client")
    rate_limit_anonymous_requests: int = Field(default=300, description="per IP without a valid token")
    rate_limit_sign_in_requests: int = Field(
        default=60, description="per IP per window on login, refresh and client-credential endpoints"
    )
    rate_limit_storage_uri: str = Field(
        default="async+memory://",
        description="in-process counts; share them across replicas with e.g. async+redis://host:6379",
    )

    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19 * 1024
    argon2_parallelism: int = 1
