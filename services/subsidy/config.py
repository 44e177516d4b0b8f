"""Subsidy settings (environment prefix SUBSIDY_)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.kit.settings import ServiceSettings


class SubsidySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SUBSIDY_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///data/subsidy.db"
    db_schema: str = "subsidy"
    client_id: str = "svc-subsidy"
    registry_url: str = "http://registry:8000"
    eligibility_url: str = "http://eligibility:8000"

    bank_url: str = Field(default="http://127.0.0.1:8001", description="partner bank payment API")
    bank_timeout_seconds: float = 5.0
    bank_webhook_secret: str = Field(default="", description="shared secret of the bank's signed callbacks")
    dispatch_interval_seconds: float = 0.5
    dispatch_batch_size: int = 100
    dispatch_retry_seconds: float = 5.0
