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
