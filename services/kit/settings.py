"""Settings base shared by every service."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """What every service needs to run: its database, how to verify tokens, its limits."""

    model_config = SettingsConfigDict(extra="ignore", env_file=None)

    database_url: str = Field(description="postgresql+asyncpg://… or sqlite+aiosqlite:///path/to/file.db")
    db_schema: str = Field(description="PostgreSQL schema owned by this service")
    db_pool_size: int = 10

    token_issuer: str = "fupin-gateway"
    token_audience: str = "fupin"
    jwks_refetch_seconds: float = Field(
        default=30.0, description="at most one JWKS refetch per this many seconds on an unknown kid"
    )
    jwks_max_age_seconds: float = Field(
        default=60.0,
        description="public keys are refreshed at least this often (below the gateway's key publish lead)",
    )
    gateway_url: str = "http://gateway:8000"

    client_id: str = Field(default="", description="this service's client id at the gateway")
    client_secret: str = Field(default="", description="this service's client secret")

    http_timeout_seconds: float = 5.0
    max_body_bytes: int = 2_000_000
    max_json_depth: int = 32
    max_page_size: int = 500

    feed_poll_seconds: float = 0.5
    run_background_tasks: bool = True
