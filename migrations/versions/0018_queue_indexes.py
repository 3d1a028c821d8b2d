"""indexes for lists the database now counts and pages: the review queue oldest first (producer, product,
revision by status and submission), a storefront's listings the most recently changed first, and the facilitators'
count of new requests nobody holds

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 23:55:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_producer_status_submitted", "producer", ["status", "submitted_at", "id"]),
    ("ix_product_status_submitted", "product", ["status", "submitted_at", "id", "producer_id", "category_id"]),
    ("ix_product_producer_updated", "product", ["producer_id", "updated_at", "id"]),
    ("ix_revision_status_submitted", "revision", ["status", "submitted_at", "id"]),
    ("ix_inquiry_status_assigned", "inquiry", ["status", "assigned_to_id"]),
]


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
