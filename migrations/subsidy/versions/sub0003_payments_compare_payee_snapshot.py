"""payments: compare the payee snapshot itself (drop the fingerprint); index for claiming

Revision ID: sub0003
Revises: sub0002
Create Date: 2026-11-23 06:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'sub0003'
down_revision: str | Sequence[str] | None = 'sub0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The account a payment went to is kept on the payment (name, bank, number); a re-issue compares
    # it with the registry's current account, so a hash of the same fields was redundant.
    with op.batch_alter_table('payments') as batch:
        batch.drop_column('payee_fingerprint')
    op.create_index('ix_payments_status_next_attempt_at', 'payments', ['status', 'next_attempt_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_payments_status_next_attempt_at', table_name='payments')
    with op.batch_alter_table('payments') as batch:
        batch.add_column(sa.Column('payee_fingerprint', sa.String(length=64), nullable=True))
