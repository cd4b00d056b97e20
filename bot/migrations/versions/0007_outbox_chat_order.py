"""outbox chat order: a chat's rows by status and tries, so a claim cheaply skips the rows behind
a retrying one of the same chat

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 20:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_chat_retrying', ['chat_id', 'status', 'attempts'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_chat_retrying')
