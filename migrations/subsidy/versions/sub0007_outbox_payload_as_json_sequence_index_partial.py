"""outbox: payload as JSON text, and the sequence's unique index on numbered rows only

Revision ID: sub0007
Revises: sub0006
Create Date: 2026-11-23 20:40:00.000000

A payload is written once and served as written: JSONB parsed every event into a tree that nothing
queried. Events are inserted unnumbered, and the unique constraint on the sequence indexed each of
those NULLs before the sequencer indexed the row again with its number.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "sub0007"
down_revision: str | Sequence[str] | None = "sub0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NUMBERED = sa.text("sequence IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("outbox_events") as batch:
        batch.drop_constraint("uq_outbox_events_sequence", type_="unique")
        batch.alter_column(
            "payload",
            existing_type=sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            type_=sa.JSON(),
            postgresql_using="payload::json",
        )
    op.create_index(
        "uq_outbox_events_sequence",
        "outbox_events",
        ["sequence"],
        unique=True,
        postgresql_where=NUMBERED,
        sqlite_where=NUMBERED,
    )


def downgrade() -> None:
    op.drop_index("uq_outbox_events_sequence", table_name="outbox_events")
    with op.batch_alter_table("outbox_events") as batch:
        batch.alter_column(
            "payload",
            existing_type=sa.JSON(),
            type_=sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            postgresql_using="payload::jsonb",
        )
        batch.create_unique_constraint("uq_outbox_events_sequence", ["sequence"])
