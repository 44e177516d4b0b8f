"""Eligibility settings (environment prefix ELIGIBILITY_)."""

from pydantic_settings import SettingsConfigDict

from services.kit.settings import ServiceSettings


class EligibilitySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ELIGIBILITY_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///data/eligibility.db"
    db_schema: str = "eligibility"
    client_id: str = "svc-eligibility"
    registry_url: str = "http://registry:8000"
