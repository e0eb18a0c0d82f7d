"""officer pinyin keys: the 汉语拼音 sort keys of every officer's unit and name (filled from every officer), the lists' order

Revision ID: 0029
Revises: 0028
"""

import unicodedata

from alembic import op
import sqlalchemy as sa
from pypinyin import Style, lazy_pinyin


revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

# officers.collation.sort_key as it was when this migration was written (a migration never changes with the code).
SYLLABLE, KEY_CHARACTERS = 6, 70
SURNAMES = {
    "单": "shan4",
    "曾": "zeng1",
    "解": "xie4",
    "仇": "qiu2",
    "区": "ou1",
    "查": "zha1",
    "朴": "piao2",
    "乐": "yue4",
    "盖": "ge3",
    "缪": "miao4",
    "覃": "qin2",
    "翟": "zhai2",
    "召": "shao4",
    "秘": "bi4",
    "种": "chong2",
    "员": "yun4",
    "尉": "yu4",
    "长": "chang2",
    "重": "chong2",
    "折": "she2",
    "都": "du1",
    "隗": "wei3",
    "冼": "xian3",
    "繁": "po2",
}


def _segment(reading: str) -> str:
    if len(reading) == 1 and reading.isascii() and reading.isalnum():
        return reading.lower().ljust(SYLLABLE, "0") + "0"
    tone = reading[-1]
    letters = reading[:-1] if tone.isdigit() else reading
    if not (letters.isascii() and letters.isalpha() and len(letters) <= SYLLABLE):
        return "zzzzzz9"
    return letters.lower().ljust(SYLLABLE, "0") + (tone if tone.isdigit() else "5")


def _key(text, person: bool = False) -> str:
    text = unicodedata.normalize("NFKC", text or "").strip()[:KEY_CHARACTERS]
    readings = lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True, errors=lambda chars: " ".join(chars))
    if person and text and text[0] in SURNAMES and readings:
        readings[0] = SURNAMES[text[0]]
    parts = [part for item in readings for part in item.split()]
    segments = [_segment(r) for r in parts if not (len(r) == 1 and not r.isalnum())]
    return "".join(segments)[: KEY_CHARACTERS * (SYLLABLE + 1)]


def upgrade() -> None:
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_key", sa.String(length=512), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("name_key", sa.String(length=512), nullable=False, server_default=""))
        batch_op.create_index("ix_officers_agency_pinyin", ["agency", "unit_key", "name_key"], unique=False)

    bind = op.get_bind()
    officers = sa.table(
        "officers",
        sa.column("id", sa.String),
        sa.column("name", sa.String),
        sa.column("unit", sa.String),
        sa.column("unit_key", sa.String),
        sa.column("name_key", sa.String),
    )
    after = ""
    while True:  # a batch at a time: every officer, however many
        rows = bind.execute(
            sa.select(officers.c.id, officers.c.name, officers.c.unit).where(officers.c.id > after).order_by(officers.c.id).limit(500)
        ).all()
        if not rows:
            break
        for row in rows:
            bind.execute(
                sa.update(officers).where(officers.c.id == row.id).values(unit_key=_key(row.unit), name_key=_key(row.name, person=True))
            )
        after = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.drop_index("ix_officers_agency_pinyin")
        batch_op.drop_column("name_key")
        batch_op.drop_column("unit_key")
