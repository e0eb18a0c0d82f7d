"""Scores a redaction against the corpus.

`redact_fn(text, subjects) -> str` must return a text of the same length in which every masked
character is replaced by '＊' (U+FF0A). Then:

- a remove span is found when every character in it that is not whitespace, a line break,
  punctuation or a symbol (「+」「·」「（」…) is '＊' in the output;
- a keep span is intact when the output has exactly the original characters there;
- collateral counts the characters masked outside every remove span (inside keeps or not).

    python -m tests.corpus.redaction.score [--examples N]

prints the report for the project's current `recording_service.publication.redaction`.
"""

from __future__ import annotations

import argparse
import dataclasses
import unicodedata
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable

from . import KEEP_KINDS, REMOVE_KINDS, Doc, build

MASK = "＊"
CONTEXT = 20

RedactFn = Callable[[str, dict], str]


def _must_be_masked(char: str) -> bool:
    return not (char.isspace() or unicodedata.category(char)[0] in "PS")


@dataclass
class Score:
    documents: int = 0
    removes_planted: Counter = field(default_factory=Counter)
    removes_found: Counter = field(default_factory=Counter)
    keeps_planted: Counter = field(default_factory=Counter)
    keeps_intact: Counter = field(default_factory=Counter)
    styles_planted: Counter = field(default_factory=Counter)  # remove spans per style
    styles_found: Counter = field(default_factory=Counter)
    styles_keeps: Counter = field(default_factory=Counter)
    styles_intact: Counter = field(default_factory=Counter)
    collateral: int = 0
    misses: list[str] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)

    def recall(self, kind: str | None = None) -> float:
        planted = self.removes_planted[kind] if kind else sum(self.removes_planted.values())
        found = self.removes_found[kind] if kind else sum(self.removes_found.values())
        return found / planted if planted else 1.0

    def keep_ratio(self, kind: str | None = None) -> float:
        planted = self.keeps_planted[kind] if kind else sum(self.keeps_planted.values())
        intact = self.keeps_intact[kind] if kind else sum(self.keeps_intact.values())
        return intact / planted if planted else 1.0


def _visible(text: str) -> str:
    return text.replace("\n", "⏎").replace("\t", "⇥")


def _example(index: int, doc: Doc, output: str, start: int, end: int, kind: str) -> str:
    before = max(0, start - CONTEXT)
    after = min(len(doc.text), end + CONTEXT)
    original = _visible(doc.text[before:start]) + "【" + _visible(doc.text[start:end]) + "】" + _visible(doc.text[end:after])
    redacted = _visible(output[before:start]) + "【" + _visible(output[start:end]) + "】" + _visible(output[end:after])
    return f"doc {index} ({doc.style}) {kind}:\n      text: {original}\n      got:  {redacted}"


def score(docs: Iterable[Doc], redact_fn: RedactFn, examples: int = 20) -> Score:
    result = Score()
    for index, doc in enumerate(docs):
        output = redact_fn(doc.text, doc.subjects)
        if len(output) != len(doc.text):
            raise ValueError(f"doc {index} ({doc.style}): the redaction changed the length "
                             f"({len(doc.text)} -> {len(output)}); it must replace characters with {MASK}")
        result.documents += 1
        style = doc.style.split("/")[0]
        inside_remove = bytearray(len(doc.text))
        for start, end, kind in doc.remove:
            inside_remove[start:end] = b"\x01" * (end - start)
            result.removes_planted[kind] += 1
            result.styles_planted[style] += 1
            if all(output[i] == MASK for i in range(start, end) if _must_be_masked(doc.text[i])):
                result.removes_found[kind] += 1
                result.styles_found[style] += 1
            elif len(result.misses) < examples:
                result.misses.append(_example(index, doc, output, start, end, kind))
        for start, end, kind in doc.keep:
            result.keeps_planted[kind] += 1
            result.styles_keeps[style] += 1
            if output[start:end] == doc.text[start:end]:
                result.keeps_intact[kind] += 1
                result.styles_intact[style] += 1
            elif len(result.damaged) < examples:
                result.damaged.append(_example(index, doc, output, start, end, kind))
        result.collateral += sum(1 for i, char in enumerate(output)
                                 if char == MASK and doc.text[i] != MASK and not inside_remove[i])
    return result


def format_report(result: Score) -> str:
    removes = sum(result.removes_planted.values())
    keeps = sum(result.keeps_planted.values())
    lines = [f"Redaction corpus: {result.documents} documents, {removes} remove spans, {keeps} keep spans", ""]
    lines.append(f"{'REMOVE (must be masked)':<26}{'planted':>9}{'found':>9}{'recall':>9}")
    for kind in _ordered(result.removes_planted, REMOVE_KINDS):
        lines.append(f"{kind:<26}{result.removes_planted[kind]:>9}{result.removes_found[kind]:>9}"
                     f"{result.recall(kind):>9.3f}")
    lines.append(f"{'overall':<26}{removes:>9}{sum(result.removes_found.values()):>9}{result.recall():>9.3f}")
    lines.append("")
    lines.append(f"{'KEEP (must stay as is)':<26}{'planted':>9}{'intact':>9}{'ratio':>9}")
    for kind in _ordered(result.keeps_planted, KEEP_KINDS):
        lines.append(f"{kind:<26}{result.keeps_planted[kind]:>9}{result.keeps_intact[kind]:>9}"
                     f"{result.keep_ratio(kind):>9.3f}")
    lines.append(f"{'overall':<26}{keeps:>9}{sum(result.keeps_intact.values()):>9}{result.keep_ratio():>9.3f}")
    lines.append("")
    lines.append(f"{'BY STYLE':<26}{'recall':>9}{'keeps':>9}")
    for style in sorted(result.styles_planted.keys() | result.styles_keeps.keys()):
        planted, kept = result.styles_planted[style], result.styles_keeps[style]
        recall = result.styles_found[style] / planted if planted else 1.0
        ratio = result.styles_intact[style] / kept if kept else 1.0
        lines.append(f"{style:<26}{recall:>9.3f}{ratio:>9.3f}")
    lines.append("")
    lines.append(f"collateral: {result.collateral} characters masked outside every remove span")
    if result.misses:
        lines += ["", f"Misses (first {len(result.misses)}):"] + [f"  {m}" for m in result.misses]
    if result.damaged:
        lines += ["", f"Damaged keeps (first {len(result.damaged)}):"] + [f"  {d}" for d in result.damaged]
    return "\n".join(lines)


def _ordered(counter: Counter, known: tuple[str, ...]) -> list[str]:
    return [k for k in known if k in counter] + sorted(k for k in counter if k not in known)


def project_redaction() -> RedactFn:
    """The adapter to `recording_service.publication.redaction`: only the subjects that its
    `Subjects` dataclass has fields for are passed on."""
    from recording_service.publication.redaction import Subjects, redact

    accepted = {f.name for f in dataclasses.fields(Subjects)}

    def redact_fn(text: str, subjects: dict) -> str:
        return redact(text, Subjects(**{k: v for k, v in subjects.items() if k in accepted})).text

    return redact_fn


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=20, help="misses and damaged keeps to show")
    parser.add_argument("--half", choices=("all", "dev", "held-out"), default="all",
                        help="two halves drawn by a hash of each document's number. Whoever changes the rules looks at the "
                             "dev half's misses only; the held-out half says whether the change generalises")
    args = parser.parse_args(argv)
    docs = build()
    if args.half != "all":
        docs = [doc for number, doc in enumerate(docs) if (zlib.crc32(str(number).encode()) % 2 == 0) == (args.half == "dev")]
    print(format_report(score(docs, project_redaction(), examples=args.examples)))


if __name__ == "__main__":
    main()
