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
    dispatch_batch_size: int = Field(default=1000, description="payments per batch sent to the bank")
    dispatch_retry_seconds: float = 5.0
    poll_after_seconds: float = Field(
        default=60.0, description="ask the bank for a payment's status when no callback came in this time"
    )
    payee_lookup_concurrency: int = 16
    dispatch_parallel_batches: int = Field(default=4, description="batches in flight to the bank at once")
    payer_name: str = Field(default="县财政局扶贫资金专户", description="debtor name in pain.001 files")
    payer_account: str = Field(default="0000000000000000", description="debtor account in pain.001 files")
    payer_bank: str = Field(default="贵州省农村信用社", description="debtor agent in pain.001 files")
