"""Optimistic concurrency: a write names the version it was based on, and a stale one is refused."""

from services.kit.database import Timestamped
from services.kit.errors import Conflict


def ensure_current(record: Timestamped, base_version: int | None, *, what: str, what_zh: str) -> None:
    """409 `stale_version` when the record changed since the version the writer saw."""
    if base_version != record.version:
        raise Conflict(
            f"The {what} is at version {record.version}, not {base_version}; reload it and retry.",
            f"该{what_zh}已更新至第 {record.version} 版,请刷新后重新提交。",
            code="stale_version",
        )
