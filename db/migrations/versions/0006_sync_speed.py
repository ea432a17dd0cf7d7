"""sync speed: a quiet sync's push lookup by index, full listings reconciled in SQL

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 08:05:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401

import db.models  # noqa: F401


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('calendar_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seen_listing', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.create_index('ix_calendar_events_trainer_sync_state', ['trainer_id', 'sync_state'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('calendar_events', schema=None) as batch_op:
        batch_op.drop_index('ix_calendar_events_trainer_sync_state')
        batch_op.drop_column('seen_listing')
