"""The order Chinese readers look names up in: 汉语拼音, syllable by syllable, tone by tone (张 zhāng before 章 zhāng
only by the character itself), not Unicode code points (which put 王 before 李 and 张 after 赵 by chance).

A name's sort key is stored beside it (`officers.unit_key`, `officers.name_key`) so both databases order and page
the lists by it. The key is plain ASCII digits and lower-case letters of fixed width per character, so it sorts
alike under SQLite's binary collation and any PostgreSQL collation (which may ignore spaces and punctuation)."""

import unicodedata
from functools import cache
from typing import Any

SYLLABLE = 6  # the longest syllable (zhuang, shuang) fills it; shorter ones are padded with 0, which sorts before a
KEY_CHARACTERS = 70  # characters keyed; a longer text is ordered by its first 70, then by the text itself
KEY_LENGTH = KEY_CHARACTERS * (SYLLABLE + 1)  # 490: within a page cursor's 512 characters per value

# Surnames read otherwise than the same character in a word (单 shàn, not dān): the first character of a name.
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
UNKNOWN = "zzzzzz9"  # a character with no reading sorts after every syllable


def _segment(reading: str) -> str:
    """One character's reading as 7 characters: the syllable padded to 6, then its tone (1–4, 5 for the neutral tone)."""
    if len(reading) == 1 and reading.isascii() and reading.isalnum():  # a Latin letter or a digit stands for itself
        return reading.lower().ljust(SYLLABLE, "0") + "0"
    tone = reading[-1]
    letters = reading[:-1] if tone.isdigit() else reading
    if not (letters.isascii() and letters.isalpha() and len(letters) <= SYLLABLE):
        return UNKNOWN
    return letters.lower().ljust(SYLLABLE, "0") + (tone if tone.isdigit() else "5")


@cache
def _pinyin() -> Any:
    """pypinyin, imported at the first name keyed: its dictionaries take ~60 MB of memory, which a process that
    never keys a name (an API replica ingesting uploads, a worker) need not carry."""
    import pypinyin

    return pypinyin


def sort_key(text: str, *, person: bool = False) -> str:
    """The pinyin key of a unit's or a person's name (`person`: the first character read as a surname)."""
    text = unicodedata.normalize("NFKC", text).strip()[:KEY_CHARACTERS]
    # One reading per Chinese character; a run of other characters comes back as one item, spaced out here.
    pypinyin = _pinyin()
    readings: list[str] = pypinyin.lazy_pinyin(
        text, style=pypinyin.Style.TONE3, neutral_tone_with_five=True, errors=lambda chars: " ".join(chars)
    )
    if person and text and text[0] in SURNAMES and readings:
        readings[0] = SURNAMES[text[0]]
    segments = []
    for reading in (part for item in readings for part in item.split()):
        if len(reading) == 1 and not reading.isalnum():
            continue  # punctuation (brackets, dots) does not order names; nor do spaces
        segments.append(_segment(reading))
    return "".join(segments)[:KEY_LENGTH]
