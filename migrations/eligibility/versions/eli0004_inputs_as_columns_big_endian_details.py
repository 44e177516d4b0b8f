"""household inputs as columns and member codes, big-endian details, MD5 outcome keys

Revision ID: eli0004
Revises: eli0003
Create Date: 2026-11-24 07:30:00.000000

Bulk runs and simulations now evaluate the rules inside PostgreSQL, so the projection keeps each
household field in its own column and each member as one 64-bit code (bigint[] on PostgreSQL,
little-endian bytes on SQLite) instead of numpy records; `details` is written big-endian (what
int4send/float8send give) and the outcome key is an MD5 (PostgreSQL has no BLAKE2). Existing rows
are converted in place: the projection from each household's stored input snapshot, the details
and keys from the stored outcome and its policy's document. The encodings of this revision and of
eli0002 are written out here, so the migration keeps its meaning whatever the code becomes.
"""

import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = 'eli0004'
down_revision: str | Sequence[str] | None = 'eli0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
MEMBERS = sa.LargeBinary().with_variant(postgresql.ARRAY(sa.BigInteger()), 'postgresql')
BATCH = 5000

ENUMS = {
    'housing_safety_grade': ('A', 'B', 'C', 'D'),
    'status': ('applicant', 'registered', 'exited', 'revoked', 'not_poor'),
    'sex': ('male', 'female'),
    'relation': ('head', 'spouse', 'child', 'parent', 'grandchild', 'sibling', 'other'),
    'labour_capacity': ('normal', 'skilled', 'partial', 'lost', 'none'),
    'health': ('healthy', 'chronic', 'serious', 'disabled'),
    'schooling_stage': (
        'none', 'preschool', 'primary', 'junior', 'senior', 'secondary_vocational', 'higher_vocational',
        'undergraduate',
    ),
}
# The household fields in column order, and their kinds.
HOUSEHOLD = (
    ('per_capita_net_income_fen', 'int'),
    ('per_capita_disposable_income_fen', 'int'),
    ('member_count', 'int'),
    ('transfer_income_fen', 'int'),
    ('housing_safety_grade', 'enum'),
    ('housing_area_m2', 'float'),
    ('housing_self_build_capable', 'bool'),
    ('drinking_water_safe', 'bool'),
    ('food_clothing_secure', 'bool'),
    ('dibao', 'bool'),
    ('wubao', 'bool'),
    ('status', 'enum'),
    ('exit_year', 'int'),
)
# The member fields below the birth date (bits 32 and up) of a member code, with their widths.
MEMBER = (
    ('sex', 'enum', 2),
    ('relation', 'enum', 3),
    ('labour_capacity', 'enum', 3),
    ('labour_willing', 'bool', 1),
    ('health', 'enum', 3),
    ('disability_grade', 'int', 4),
    ('schooling_stage', 'enum', 4),
    ('dropped_out', 'bool', 1),
    ('medical_insured', 'bool', 1),
)
_NUMPY = {'int': '<i8', 'float': '<f8', 'bool': 'u1', 'enum': 'u1'}
OLD_HOUSEHOLD = np.dtype([(name, _NUMPY[kind]) for name, kind in HOUSEHOLD])
OLD_MEMBER = np.dtype([('birth', '<i4')] + [(name, _NUMPY[kind]) for name, kind, _ in MEMBER])


def _code(kind: str, name: str, value: Any) -> Any:
    if kind == 'enum':
        vocabulary = ENUMS[name]
        return vocabulary.index(value) + 1 if isinstance(value, str) and value in vocabulary else 0
    if kind == 'bool':
        return bool(value)
    if kind == 'float':
        return None if value is None or math.isnan(value) else float(value)
    return int(value or 0)


def _birth(member: dict[str, Any]) -> int:
    birth = dt.date.fromisoformat(member['birth_date'])
    return birth.year * 10000 + birth.month * 100 + birth.day


def _columns(facts: dict[str, Any]) -> dict[str, Any]:
    values = {name: _code(kind, name, facts[name]) for name, kind in HOUSEHOLD}
    codes = []
    for member in facts['members']:
        code, shift = _birth(member) << 32, 0
        for name, kind, width in MEMBER:
            code |= min(max(int(_code(kind, name, member[name])), 0), (1 << width) - 1) << shift
            shift += width
        codes.append(code)
    values['members'] = codes
    return values


def _packed(facts: dict[str, Any]) -> tuple[bytes, bytes]:
    household = np.zeros(1, OLD_HOUSEHOLD)
    for name, kind in HOUSEHOLD:
        value = _code(kind, name, facts[name])
        household[name] = math.nan if value is None else value
    members = np.zeros(len(facts['members']), OLD_MEMBER)
    for index, member in enumerate(facts['members']):
        members[index]['birth'] = _birth(member)
        for name, kind, _width in MEMBER:
            members[index][name] = _code(kind, name, member[name])
    return household.tobytes(), members.tobytes()


def _members_bound(codes: list[int]) -> Any:
    if op.get_bind().dialect.name == 'postgresql':
        return codes
    return np.asarray(codes, '<i8').tobytes()


def _rows(statement: sa.Select[Any], key: sa.ColumnElement[Any]) -> Iterator[Sequence[sa.Row[Any]]]:
    """Rows in batches, by key."""
    connection = op.get_bind()
    after = None
    while True:
        page = statement.order_by(key).limit(BATCH)
        if after is not None:
            page = page.where(key > after)
        rows = connection.execute(page).all()
        if not rows:
            return
        yield rows
        after = rows[-1][0]


inputs = sa.table(
    'household_inputs',
    sa.column('household_id', sa.Uuid()),
    sa.column('inputs_hash', sa.String()),
    sa.column('layout_version', BIGINT),
    sa.column('household_record', sa.LargeBinary()),
    sa.column('member_records', sa.LargeBinary()),
    *(sa.column(name, sa.Double() if kind == 'float' else sa.Boolean() if kind == 'bool' else BIGINT)
      for name, kind in HOUSEHOLD),
    sa.column('members', MEMBERS),
)
snapshots = sa.table('input_snapshots', sa.column('inputs_hash', sa.String()), sa.column('facts', JSON))
policies = sa.table('policies', sa.column('id', sa.Uuid()), sa.column('document', JSON))
assessments = sa.table(
    'assessments',
    sa.column('id', sa.Uuid()),
    sa.column('policy_id', sa.Uuid()),
    sa.column('category', sa.String()),
    sa.column('degree', sa.String()),
    sa.column('extreme_poverty', sa.Boolean()),
    sa.column('exit_ready', sa.Boolean()),
    sa.column('score_x100', BIGINT),
    sa.column('details', sa.LargeBinary()),
)
current = sa.table(
    'current_assessments',
    sa.column('household_id', sa.Uuid()),
    sa.column('assessment_id', sa.Uuid()),
    sa.column('outcome_key', sa.String()),
)


def _project(*, to_columns: bool) -> None:
    """Rewrite every projection row from its input snapshot, as columns or as eli0002's records."""
    statement = sa.select(inputs.c.household_id, snapshots.c.facts).join(
        snapshots, snapshots.c.inputs_hash == inputs.c.inputs_hash
    )
    for rows in _rows(statement, inputs.c.household_id):
        updates = []
        for household_id, facts in (tuple(row) for row in rows):
            if to_columns:
                values = _columns(facts)
                values['members'] = _members_bound(values['members'])
            else:
                record, members = _packed(facts)
                values = {'layout_version': 1, 'household_record': record, 'member_records': members}
            updates.append({'key': household_id, **{f'v_{name}': value for name, value in values.items()}})
        names = [name[2:] for name in updates[0] if name.startswith('v_')]
        op.get_bind().execute(
            inputs.update()
            .where(inputs.c.household_id == sa.bindparam('key'))
            .values({name: sa.bindparam(f'v_{name}') for name in names}),
            updates,
        )


def _record_dtype(document: dict[str, Any], *, big_endian: bool) -> np.dtype[Any]:
    order = '>' if big_endian else '<'
    programs = len(document['outcome']['programs'])
    items = len(document['score']['items'])
    return np.dtype([
        ('rules', 'u1', (len(document['rules']),)),
        ('programs', 'u1', (programs,)),
        ('quantities', f'{order}i4', (programs,)),
        ('values', f'{order}f8', (items,)),
        ('points', 'u1', (items,)),
    ])


def _key(row: Any, record: Any, codes: list[str], *, md5: bool) -> str:
    extreme, exit_ready = int(row.extreme_poverty), int(row.exit_ready)
    if md5:
        granted = {code: int(q) for code, p, q in zip(codes, record['programs'], record['quantities']) if p}
        text = '{' + ','.join(f'"{code}":{quantity}' for code, quantity in granted.items()) + '}'
        described = f"{row.category}|{row.degree or '-'}|{extreme}{exit_ready}|{text}"
        return hashlib.md5(described.encode(), usedforsecurity=False).hexdigest() + f':{row.score_x100}'
    quantities = [int(q) if p else -1 for p, q in zip(record['programs'], record['quantities'])]
    granted = {code: quantity for code, quantity in zip(codes, quantities) if quantity >= 0}
    text = json.dumps(granted, separators=(',', ':'))
    described = f"{row.category}|{row.degree or '-'}|{extreme}{exit_ready}|{text}"
    return hashlib.blake2b(described.encode(), digest_size=12).hexdigest() + f':{row.score_x100}'


def _outcomes(*, to_big_endian: bool) -> None:
    """Details in the other byte order (one NaN for every not-a-number), current keys recomputed."""
    connection = op.get_bind()
    documents = dict(connection.execute(sa.select(policies.c.id, policies.c.document)).all())
    old = {pid: _record_dtype(doc, big_endian=not to_big_endian) for pid, doc in documents.items()}
    new = {pid: _record_dtype(doc, big_endian=to_big_endian) for pid, doc in documents.items()}
    codes = {pid: [p['code'] for p in doc['outcome']['programs']] for pid, doc in documents.items()}
    statement = sa.select(assessments.c.id, assessments.c.policy_id, assessments.c.details)
    for rows in _rows(statement, assessments.c.id):
        updates = []
        for assessment_id, policy_id, details in (tuple(row) for row in rows):
            record = np.frombuffer(details, old[policy_id]).astype(new[policy_id])
            record['values'] = np.where(np.isnan(record['values']), math.nan, record['values'])
            updates.append({'key': assessment_id, 'details': record.tobytes()})
        connection.execute(
            assessments.update().where(assessments.c.id == sa.bindparam('key')), updates
        )
    statement = sa.select(current.c.household_id, *assessments.c).join(
        assessments, assessments.c.id == current.c.assessment_id
    )
    for rows in _rows(statement, current.c.household_id):
        updates = []
        for row in rows:
            record = np.frombuffer(row.details, new[row.policy_id])[0]
            key = _key(row, record, codes[row.policy_id], md5=to_big_endian)
            updates.append({'key': row.household_id, 'outcome_key': key})
        connection.execute(
            current.update().where(current.c.household_id == sa.bindparam('key')), updates
        )


def upgrade() -> None:
    with op.batch_alter_table('household_inputs') as batch:
        for name, kind in HOUSEHOLD:
            column_type: sa.types.TypeEngine[Any] = (
                sa.Double() if kind == 'float' else sa.Boolean() if kind == 'bool'
                else sa.SmallInteger() if kind == 'enum' else BIGINT
            )
            batch.add_column(sa.Column(name, column_type, nullable=True))
        batch.add_column(sa.Column('members', MEMBERS, nullable=True))
    _project(to_columns=True)
    with op.batch_alter_table('household_inputs') as batch:
        for name, kind in HOUSEHOLD:
            if kind != 'float':
                batch.alter_column(name, nullable=False)
        batch.alter_column('members', nullable=False)
        batch.drop_column('layout_version')
        batch.drop_column('household_record')
        batch.drop_column('member_records')
    _outcomes(to_big_endian=True)


def downgrade() -> None:
    with op.batch_alter_table('household_inputs') as batch:
        batch.add_column(sa.Column('layout_version', BIGINT, nullable=True))
        batch.add_column(sa.Column('household_record', sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column('member_records', sa.LargeBinary(), nullable=True))
    _project(to_columns=False)
    with op.batch_alter_table('household_inputs') as batch:
        batch.alter_column('layout_version', nullable=False)
        batch.alter_column('household_record', nullable=False)
        batch.alter_column('member_records', nullable=False)
        for name, _kind in HOUSEHOLD:
            batch.drop_column(name)
        batch.drop_column('members')
    _outcomes(to_big_endian=False)
