"""Registry settings (environment prefix REGISTRY_)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.kit.settings import ServiceSettings


class RegistrySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///data/registry.db"
    db_schema: str = "registry"
    client_id: str = "svc-registry"

    pii_encryption_key: str = Field(description="base64 of 32 bytes: AES-GCM key for ID and account numbers")
    pii_index_key: str = Field(description="base64 of 32 bytes: HMAC key of the ID-number blind index")

    local_timezone: str = Field(
        "Asia/Shanghai", description="the calendar notice periods and dates are counted in"
    )
    eligibility_url: str = "http://eligibility:8000"
    quality_check_interval_hours: float = Field(
        24.0, description="how often every county's data-quality check runs on its own (0: never)"
    )
    quality_poll_seconds: float = Field(2.0, description="how soon a requested data-quality run starts")
