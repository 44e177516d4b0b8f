"""outbox: a partial index on the rows not yet numbered

Revision ID: eli0006
Revises: eli0005
Create Date: 2026-11-23 18:05:00.000000

The sequencer numbers the oldest unnumbered events in id order. Walking the primary key, each round
stepped over every event already numbered; the partial index holds only those still waiting.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "eli0006"
down_revision: str | Sequence[str] | None = "eli0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_outbox_events_unnumbered",
        "outbox_events",
        ["id"],
        unique=False,
        postgresql_where=sa.text("sequence IS NULL"),
        sqlite_where=sa.text("sequence IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_events_unnumbered", table_name="outbox_events")
