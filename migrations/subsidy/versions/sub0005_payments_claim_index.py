"""payments: claim order (status, next_attempt_at, id) on one index; the status-only index goes

Revision ID: sub0005
Revises: sub0004
Create Date: 2026-11-23 17:40:00.000000

A month run queues its payments at one instant, so the dispatcher's claim (oldest first, then by id)
sorted every queued payment on each batch. With `id` in the index the claim reads the first rows in
order. The index on `status` alone is covered by the new one's leading column and only cost writes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "sub0005"
down_revision: str | Sequence[str] | None = "sub0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_payments_status_next_attempt_at_id", "payments", ["status", "next_attempt_at", "id"], unique=False
    )
    op.drop_index("ix_payments_status_next_attempt_at", table_name="payments")
    op.drop_index("ix_payments_status", table_name="payments")


def downgrade() -> None:
    op.create_index("ix_payments_status", "payments", ["status"], unique=False)
    op.create_index("ix_payments_status_next_attempt_at", "payments", ["status", "next_attempt_at"], unique=False)
    op.drop_index("ix_payments_status_next_attempt_at_id", table_name="payments")
