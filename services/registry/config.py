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
    subsidy_url: str = Field(
        "http://subsidy:8000", description="asked for the money paid, for the monthly report"
    )
    quality_check_interval_hours: float = Field(
        24.0, description="how often every county's data-quality check runs on its own (0: never)"
    )
    quality_poll_seconds: float = Field(2.0, description="how soon a requested data-quality run starts")

    # Field surveys from the phones (issue 5).
    survey_clock_skew_seconds: float = Field(
        600.0, description="a capture time later than the server's clock by more than this is refused"
    )
    survey_gps_far_km: float = Field(
        10.0, description="a survey captured this far outside its county's box is flagged for review"
    )
    county_bounds: dict[str, tuple[float, float, float, float]] = Field(
        default_factory=lambda: {
            # Approximate boxes (south, west, north, east) of the Qiandongnan counties the demo uses;
            # a county without a box is not checked. Divisions carry no coordinates yet.
            "522627000000": (26.66, 108.95, 27.22, 109.58),  # 天柱县
            "522628000000": (26.38, 108.80, 26.83, 109.40),  # 锦屏县
            "522629000000": (26.33, 108.33, 26.95, 109.03),  # 剑河县
            "522630000000": (26.45, 108.10, 26.85, 108.58),  # 台江县
        },
        description="county code -> (south, west, north, east) in degrees, for the GPS plausibility check",
    )
    survey_batch_max: int = Field(100, description="submissions in one batch request")
    survey_opens_identification_case: bool = Field(
        False,
        description="a survey of a new household is also its application (申请) and household survey: "
        "open its identification case at once. Off by default: seed 002 has the household apply at "
        "the village committee, which opens the case",
    )
    attachment_max_bytes: int = Field(10_000_000, description="largest attachment accepted")
    attachment_content_types: tuple[str, ...] = Field(
        ("image/jpeg", "image/png", "image/webp", "application/pdf"), description="attachment types accepted"
    )
    sync_page_size: int = Field(200, description="most households or submissions in one sync page")
    assignment_removed_statuses: tuple[str, ...] = Field(
        ("revoked",), description="household statuses that take a household off the phones (tombstone)"
    )
