"""needs list version: one counter row that every change to a need or an organisation bumps
(yizhi.needs.list_cache checks cached renderings of /needs against it)

Revision ID: 0016_needs_list_version
Revises: 0003_needs
Create Date: 2026-12-07 12:51:13.498501
"""

from alembic import op
import sqlalchemy as sa
import secrets


revision = '0016_needs_list_version'
down_revision = '0003_needs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table('needs_list_version',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_needs_list_version'))
    )
    # a random start: a value cached before a restore or a rebuilt database is never met again
    op.bulk_insert(table, [{"id": 1, "version": secrets.randbits(62)}])


def downgrade() -> None:
    op.drop_table('needs_list_version')
