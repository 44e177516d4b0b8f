"""policies lifecycle, packed projection, current assessments, runs

Revision ID: eli0002
Revises: eli0001
Create Date: 2026-11-23 05:01:08.483132

The projection and the assessments are derived data (the registry's feed and the shipped policies
rebuild them), and the policies table held only shipped versions: the three tables are recreated in
their new shape and the feed cursor is rewound, so the next start rebuilds them. Recreating rather
than altering keeps the migration the same on PostgreSQL and SQLite.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = 'eli0002'
down_revision: str | Sequence[str] | None = 'eli0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
BIGINT = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def _policies(*, lifecycle: bool) -> None:
    extra: list[sa.Column[object]] = (
        [
            sa.Column('created_by', sa.String(length=64), nullable=False),
            sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
        ]
        if lifecycle
        else []
    )
    op.create_table('policies',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('policy_version', BIGINT, nullable=False),
    sa.Column('title_zh', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('document', JSON, nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    *extra,
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', BIGINT, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policies')),
    sa.UniqueConstraint('code', 'policy_version', name=op.f('uq_policies_code_policy_version'))
    )
    if lifecycle:
        op.create_index(op.f('ix_policies_status'), 'policies', ['status'], unique=False)


def upgrade() -> None:
    op.drop_table('policies')
    op.drop_index(op.f('ix_household_inputs_village_code'), table_name='household_inputs')
    op.drop_table('household_inputs')
    op.drop_index(op.f('ix_assessments_village_code'), table_name='assessments')
    op.drop_index(op.f('ix_assessments_household_id'), table_name='assessments')
    op.drop_table('assessments')
    op.execute("UPDATE consumer_cursors SET position = 0")

    _policies(lifecycle=True)
    op.create_table('assessments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('household_id', sa.Uuid(), nullable=False),
    sa.Column('household_version', BIGINT, nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('policy_id', sa.Uuid(), nullable=False),
    sa.Column('policy_code', sa.String(length=64), nullable=False),
    sa.Column('policy_version', BIGINT, nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('inputs_hash', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('poor', sa.Boolean(), nullable=False),
    sa.Column('degree', sa.String(length=16), nullable=True),
    sa.Column('extreme_poverty', sa.Boolean(), nullable=False),
    sa.Column('exit_ready', sa.Boolean(), nullable=False),
    sa.Column('score_x100', BIGINT, nullable=False),
    sa.Column('details', sa.LargeBinary(), nullable=False),
    sa.Column('run_id', sa.Uuid(), nullable=True),
    sa.Column('assessed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessments'))
    )
    op.create_index('ix_assessments_household_id_assessed_at', 'assessments', ['household_id', 'assessed_at'], unique=False)
    op.create_table('household_inputs',
    sa.Column('household_id', sa.Uuid(), nullable=False),
    sa.Column('household_version', BIGINT, nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('inputs_hash', sa.String(length=64), nullable=False),
    sa.Column('layout_version', BIGINT, nullable=False),
    sa.Column('household_record', sa.LargeBinary(), nullable=False),
    sa.Column('member_records', sa.LargeBinary(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('household_id', name=op.f('pk_household_inputs'))
    )
    op.create_index(op.f('ix_household_inputs_village_code'), 'household_inputs', ['village_code'], unique=False)
    op.create_table('current_assessments',
    sa.Column('household_id', sa.Uuid(), nullable=False),
    sa.Column('assessment_id', sa.Uuid(), nullable=False),
    sa.Column('household_version', BIGINT, nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('policy_id', sa.Uuid(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('outcome_key', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('poor', sa.Boolean(), nullable=False),
    sa.Column('score_x100', BIGINT, nullable=False),
    sa.PrimaryKeyConstraint('household_id', name=op.f('pk_current_assessments'))
    )
    op.create_index(op.f('ix_current_assessments_village_code'), 'current_assessments', ['village_code'], unique=False)
    op.create_table('input_snapshots',
    sa.Column('inputs_hash', sa.String(length=64), nullable=False),
    sa.Column('facts', JSON, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('inputs_hash', name=op.f('pk_input_snapshots'))
    )
    op.create_table('reassessment_runs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('requested_by', sa.String(length=64), nullable=False),
    sa.Column('total', BIGINT, nullable=False),
    sa.Column('processed', BIGINT, nullable=False),
    sa.Column('changed', BIGINT, nullable=False),
    sa.Column('resume_after', sa.Uuid(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reassessment_runs'))
    )
    op.create_index(op.f('ix_reassessment_runs_status'), 'reassessment_runs', ['status'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_reassessment_runs_status'), table_name='reassessment_runs')
    op.drop_table('reassessment_runs')
    op.drop_table('input_snapshots')
    op.drop_index(op.f('ix_current_assessments_village_code'), table_name='current_assessments')
    op.drop_table('current_assessments')
    op.drop_index(op.f('ix_household_inputs_village_code'), table_name='household_inputs')
    op.drop_table('household_inputs')
    op.drop_index('ix_assessments_household_id_assessed_at', table_name='assessments')
    op.drop_table('assessments')
    op.drop_index(op.f('ix_policies_status'), table_name='policies')
    op.drop_table('policies')
    op.execute("UPDATE consumer_cursors SET position = 0")

    _policies(lifecycle=False)
    op.create_table('assessments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('household_id', sa.Uuid(), nullable=False),
    sa.Column('household_version', BIGINT, nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('policy_id', sa.Uuid(), nullable=False),
    sa.Column('policy_code', sa.String(length=64), nullable=False),
    sa.Column('policy_version', BIGINT, nullable=False),
    sa.Column('inputs_hash', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('poor', sa.Boolean(), nullable=False),
    sa.Column('result', JSON, nullable=False),
    sa.Column('assessed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessments')),
    sa.UniqueConstraint('household_id', 'household_version', 'policy_id', name=op.f('uq_assessments_household_id_household_version_policy_id'))
    )
    op.create_index(op.f('ix_assessments_household_id'), 'assessments', ['household_id'], unique=False)
    op.create_index(op.f('ix_assessments_village_code'), 'assessments', ['village_code'], unique=False)
    op.create_table('household_inputs',
    sa.Column('household_id', sa.Uuid(), nullable=False),
    sa.Column('household_version', BIGINT, nullable=False),
    sa.Column('village_code', sa.String(length=12), nullable=False),
    sa.Column('facts', JSON, nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('household_id', name=op.f('pk_household_inputs'))
    )
    op.create_index(op.f('ix_household_inputs_village_code'), 'household_inputs', ['village_code'], unique=False)
