"""reassessment lanes: a run's household-id ranges, each with its own cursor

Revision ID: eli0005
Revises: eli0004
Create Date: 2026-11-23 12:20:00.000000

A bulk run is now carried out by several database sessions side by side, one per lane, so the
cursor moves from the run to its lanes. A run that was still going keeps its place: it becomes
one lane covering every household, resuming after its old cursor.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "eli0005"
down_revision: str | Sequence[str] | None = "eli0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


RUNS = sa.table(
    "reassessment_runs", sa.column("id", sa.Uuid()), sa.column("status"), sa.column("resume_after", sa.Uuid())
)
LANES = sa.table(
    "reassessment_lanes",
    sa.column("run_id", sa.Uuid()),
    sa.column("lane", sa.SmallInteger()),
    sa.column("upto", sa.Uuid()),
    sa.column("resume_after", sa.Uuid()),
    sa.column("finished", sa.Boolean()),
)


def upgrade() -> None:
    # Read first: on SQLite the column goes by copying the table, which must not yet be referenced.
    going = op.get_bind().execute(sa.select(RUNS.c.id, RUNS.c.resume_after).where(RUNS.c.status == "running")).all()
    with op.batch_alter_table("reassessment_runs") as batch:
        batch.drop_column("resume_after")
    op.create_table(
        "reassessment_lanes",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("lane", sa.SmallInteger(), nullable=False),
        sa.Column("upto", sa.Uuid(), nullable=True),
        sa.Column("resume_after", sa.Uuid(), nullable=True),
        sa.Column("finished", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["reassessment_runs.id"], name=op.f("fk_reassessment_lanes_run_id_reassessment_runs")
        ),
        sa.PrimaryKeyConstraint("run_id", "lane", name=op.f("pk_reassessment_lanes")),
    )
    if going:
        op.bulk_insert(
            LANES,
            [
                {"run_id": run_id, "lane": 0, "upto": None, "resume_after": after, "finished": False}
                for run_id, after in going
            ],
        )


def downgrade() -> None:
    # Several lanes cannot become one cursor: a running run starts again from its lowest lane's place.
    lowest = op.get_bind().execute(sa.select(LANES.c.run_id, LANES.c.resume_after).where(LANES.c.lane == 0)).all()
    op.drop_table("reassessment_lanes")
    with op.batch_alter_table("reassessment_runs") as batch:
        batch.add_column(sa.Column("resume_after", sa.Uuid(), nullable=True))
    for run_id, after in lowest:
        op.execute(RUNS.update().where(RUNS.c.id == run_id).values(resume_after=after))
