"""audit roles, regions and reason as text

Revision ID: gat0003
Revises: gat0002
Create Date: 2026-11-23 07:54:38.739594
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "gat0003"
down_revision: str | Sequence[str] | None = "gat0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Text: a person with many regions or roles, or a long reason, must never fail the audited call.
    with op.batch_alter_table("audit_records") as batch:
        batch.alter_column(
            "actor_roles", existing_type=sa.String(200), type_=sa.Text(), existing_nullable=False
        )
        batch.alter_column(
            "actor_regions", existing_type=sa.String(400), type_=sa.Text(), existing_nullable=False
        )
        batch.alter_column("reason", existing_type=sa.String(500), type_=sa.Text(), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_records") as batch:
        batch.alter_column("reason", existing_type=sa.Text(), type_=sa.String(500), existing_nullable=False)
        batch.alter_column(
            "actor_regions", existing_type=sa.Text(), type_=sa.String(400), existing_nullable=False
        )
        batch.alter_column(
            "actor_roles", existing_type=sa.Text(), type_=sa.String(200), existing_nullable=False
        )
