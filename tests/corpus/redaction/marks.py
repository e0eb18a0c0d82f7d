"""Pieces of text that carry their own span: templates return lists of plain strings and marks,
and `assemble` concatenates them while recording where every mark starts and ends.

Positions are computed while the text is put together, never by searching the finished text:
the same characters can be a keep in one place and a remove in another (an 18-digit number that is
a licence in one sentence and an ID number in the next; an address that is an organisation's
registered seat and, word for word, a person's home), so only the assembly knows which is which.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True)
class Mark:
    """A piece whose whole extent is one span. `body` may itself hold marks (a keep span
    such as an organisation's address can contain a `plain` keep such as a 小区 name)."""

    action: str  # "remove" or "keep"
    kind: str
    body: tuple


Piece = Union[str, Mark, list, tuple, None]


def remove(kind: str, *body: Piece) -> Mark:
    return Mark("remove", kind, body)


def keep(kind: str, *body: Piece) -> Mark:
    return Mark("keep", kind, body)


Span = tuple[int, int, str]


def assemble(pieces: Piece) -> tuple[str, list[Span], list[Span]]:
    """Concatenate `pieces` (nested lists allowed, None skipped) into (text, remove, keep)."""
    out: list[str] = []
    length = 0
    removes: list[Span] = []
    keeps: list[Span] = []

    def walk(piece: Piece) -> None:
        nonlocal length
        if piece is None:
            return
        if isinstance(piece, str):
            out.append(piece)
            length += len(piece)
        elif isinstance(piece, Mark):
            start = length
            for child in piece.body:
                walk(child)
            if length > start:
                (removes if piece.action == "remove" else keeps).append((start, length, piece.kind))
        else:
            for child in piece:
                walk(child)

    walk(pieces)
    return "".join(out), removes, keeps


def reflow(text: str, removes: list[Span], keeps: list[Span], widths) -> tuple[str, list[Span], list[Span]]:
    """Break every line of `text` as a PDF copy does: a line break after every `next(widths)`
    characters, wherever that falls (inside words, numbers and spans alike).

    A break inserted strictly inside a span widens that span; one at a span's edge stays outside.
    """
    inserted_at: list[int] = []  # original positions before which a line break was inserted
    pieces: list[str] = []
    position = 0
    for line in text.split("\n"):
        column = 0
        width = next(widths)
        for char in line:
            if column == width:
                pieces.append("\n")
                inserted_at.append(position)
                column = 0
                width = next(widths)
            pieces.append(char)
            position += 1
            column += 1
        pieces.append("\n")
        position += 1
    new_text = "".join(pieces)[:-1]

    def shift(span: Span) -> Span:
        start, end, kind = span
        new_start = start + bisect.bisect_right(inserted_at, start)
        new_end = end + bisect.bisect_left(inserted_at, end)
        return new_start, new_end, kind

    return new_text, [shift(s) for s in removes], [shift(s) for s in keeps]
