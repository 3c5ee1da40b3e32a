"""survey_waves.rollups_token: a new value whenever a closed wave's rollups change

Results pages keep each closed wave's decided counts per process, keyed by this token, instead
of reading a stamp of the wave's rollup rows on every request (issue 6). Existing waves get a
random token each.

Revision ID: 3c8e2f4a9b71
Revises: 129619f1e25d
Create Date: 2026-11-27 12:55:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c8e2f4a9b71'
down_revision = '129619f1e25d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('survey_waves', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rollups_token', sa.String(length=32), nullable=True))
    random_hex = {
        'postgresql': "md5(random()::text || clock_timestamp()::text || id::text)",
        'sqlite': "lower(hex(randomblob(16)))",
    }[op.get_bind().dialect.name]
    op.execute(f"UPDATE survey_waves SET rollups_token = {random_hex}")
    with op.batch_alter_table('survey_waves', schema=None) as batch_op:
        batch_op.alter_column('rollups_token', existing_type=sa.String(length=32), nullable=False)


def downgrade():
    with op.batch_alter_table('survey_waves', schema=None) as batch_op:
        batch_op.drop_column('rollups_token')
