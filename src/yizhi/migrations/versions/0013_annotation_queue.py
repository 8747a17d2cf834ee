"""annotation queue: a partial index on the open items, in the order the queue takes them

Revision ID: 0013_annotation_queue
Revises: 0010_annotation
Create Date: 2026-12-07 05:05:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0013_annotation_queue'
down_revision = '0010_annotation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # only open items are in it, so the claim's backward scan (priority DESC, id DESC) starts at an
    # item it can take instead of walking past full and answered ones
    op.create_index('ix_annotation_items_open', 'annotation_items', ['project_id', 'gold', 'priority', 'id'],
                    unique=False, sqlite_where=sa.text("status = 'open'"),
                    postgresql_where=sa.text("status = 'open'"))


def downgrade() -> None:
    op.drop_index('ix_annotation_items_open', table_name='annotation_items')
