"""case search: folded search columns on cases (filled from every case), trigram indexes on PostgreSQL, the list by 立案日期

Revision ID: 0027
Revises: 0026
"""

import unicodedata

from alembic import op
import sqlalchemy as sa


revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

# The folding of core.values.search_key as it was when this migration was written (a migration never changes
# with the code): NFKC, brackets unified, whitespace and invisible characters removed, case folded.
_BRACKETS = str.maketrans({"〔": "(", "〕": ")", "[": "(", "]": ")", "【": "(", "】": ")", "〖": "(", "〗": ")", "{": "(", "}": ")"})
_INVISIBLE = {
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u00ad",
    "\u200e",
    "\u200f",
    "\u061c",
    *(chr(c) for c in range(0x202A, 0x202F)),
    *(chr(c) for c in range(0x2066, 0x206A)),
}


def _key(value) -> str:
    if not value:
        return ""
    text = unicodedata.normalize("NFKC", str(value)).translate(_BRACKETS).casefold()
    return "".join(ch for ch in text if not (ch.isspace() or ch in _INVISIBLE or unicodedata.category(ch) in ("Cc", "Cf")))


def _lines(values) -> str:
    keys = [_key(v) for v in values if v]
    return "\n".join(dict.fromkeys(k for k in keys if k))


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("search_ids", sa.Text(), nullable=False, server_default=""))
        batch_op.create_index("ix_cases_agency_opened", ["agency", "opened_at", "id"], unique=False)

    bind = op.get_bind()
    cases = sa.table(
        "cases",
        sa.column("id", sa.String),
        sa.column("case_number", sa.String),
        sa.column("title", sa.Text),
        sa.column("parties", sa.JSON),
        sa.column("officers", sa.JSON),
        sa.column("search_text", sa.Text),
        sa.column("search_ids", sa.Text),
    )
    after = ""
    while True:  # a batch at a time: every case, however many
        rows = bind.execute(
            sa.select(cases.c.id, cases.c.case_number, cases.c.title, cases.c.parties, cases.c.officers)
            .where(cases.c.id > after)
            .order_by(cases.c.id)
            .limit(500)
        ).all()
        if not rows:
            break
        for row in rows:
            parties, officers = row.parties or [], row.officers or []
            text = _lines(
                [row.case_number, row.title]
                + [v for p in parties for v in (p.get("name"), p.get("legal_representative"))]
                + [v for o in officers for v in (o.get("name"), o.get("officer_id"), o.get("certificate_number"))]
            )
            ids = _lines([p.get("id_number") for p in parties])
            bind.execute(sa.update(cases).where(cases.c.id == row.id).values(search_text=text, search_ids=ids))
        after = rows[-1].id

    if bind.dialect.name == "postgresql":
        # pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            "ix_cases_search_text_trgm", "cases", ["search_text"], postgresql_using="gin", postgresql_ops={"search_text": "gin_trgm_ops"}
        )
        op.create_index(
            "ix_cases_search_ids_trgm", "cases", ["search_ids"], postgresql_using="gin", postgresql_ops={"search_ids": "gin_trgm_ops"}
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_cases_search_ids_trgm", table_name="cases")
        op.drop_index("ix_cases_search_text_trgm", table_name="cases")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_agency_opened")
        batch_op.drop_column("search_ids")
        batch_op.drop_column("search_text")
