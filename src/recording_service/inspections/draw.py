"""The 双随机 draw itself, as pure functions anyone can run again: algorithm `rs-draw-v1` (docs/inspections.md).

Commit–reveal. When a plan is created the service draws a secret of 32 random bytes and publishes its commitment,
SHA-256(secret). The draw reveals the secret; its seed is the secret (64 hex digits) or, when a public value was
given (a lottery number announced after the plan was fixed), SHA-256(secret ‖ public value) — the secret's 32 bytes
followed by the value's UTF-8 — so neither the agency nor whoever announced the value chooses it alone.

The pool. The 名录库's subjects the plan's filters admit, each as one canonical JSON line (keys sorted, no spaces,
UTF-8 as is), ordered by 统一社会信用代码, every line ending in a newline; `pool_sha256` is SHA-256 of those bytes.

Subjects. Each subject of the pool is ranked by SHA-256("{seed}|{pool_sha256}|{uscc}") (UTF-8, hex digests
compared as text); the first N are drawn (N = the plan's count, or ⌈pool size × ratio ÷ 100⌉, at most the pool).
Task k (1, 2, …) is the k-th drawn subject.

Inspectors. The eligible inspectors are the officers certified on the draw day for the matter's 执法类别, by
officer number. For task k, each eligible officer without a declared conflict with the task's subject (回避) is
ranked by SHA-256("{seed}|{k}|{officer_id}"); the first `inspectors_per_task` inspect it.
"""

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ALGORITHM = "rs-draw-v1"
SUBJECT_FIELDS = ("uscc", "name", "kind", "category", "region", "address", "risk")


def canonical_line(value: Mapping[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def snapshot_of(subjects: Iterable[Mapping[str, Any]]) -> str:
    """Subjects as canonical JSON lines, ordered by 统一社会信用代码 (the text whose SHA-256 is published)."""
    lines = sorted((canonical_line({key: subject.get(key) for key in SUBJECT_FIELDS}) for subject in subjects), key=_uscc_of_line)
    return "".join(line + "\n" for line in lines)


def _uscc_of_line(line: str) -> str:
    return str(json.loads(line)["uscc"])


def lines_of(snapshot: str) -> list[dict[str, Any]]:
    """The subjects a snapshot holds (ValueError for one that is not JSON lines of objects with a uscc)."""
    subjects = []
    for number, line in enumerate(snapshot.splitlines(), start=1):
        try:
            subject = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {number} of the snapshot is not JSON") from exc
        if not isinstance(subject, dict) or not isinstance(subject.get("uscc"), str):
            raise ValueError(f"line {number} of the snapshot is not a subject")
        subjects.append(subject)
    return subjects


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def commitment_of(secret: str) -> str:
    """SHA-256 of the secret's bytes (the secret is given as 64 hex digits)."""
    return hashlib.sha256(bytes.fromhex(secret)).hexdigest()


def seed_of(secret: str, public_value: str | None) -> str:
    """The secret itself, or SHA-256(secret's bytes ‖ the public value's UTF-8) when a public value was given."""
    if public_value is None:
        return secret
    return hashlib.sha256(bytes.fromhex(secret) + public_value.encode("utf-8")).hexdigest()


def subject_rank(seed: str, pool_sha256: str, uscc: str) -> str:
    return sha256_text(f"{seed}|{pool_sha256}|{uscc}")


def inspector_rank(seed: str, task_no: int, officer_id: str) -> str:
    return sha256_text(f"{seed}|{task_no}|{officer_id}")


def wanted_count(pool_size: int, ratio: float | None, count: int | None) -> int:
    """How many subjects a plan draws from a pool of this size: its count, or the ratio (a percentage) rounded up."""
    if count is not None:
        return min(count, pool_size)
    assert ratio is not None
    return min(pool_size, math.ceil(pool_size * ratio / 100 - 1e-9))


@dataclass(frozen=True)
class DrawnSubject:
    uscc: str
    name: str
    rank: str


@dataclass(frozen=True)
class DrawnTask:
    task_no: int
    uscc: str
    inspectors: list[str]


@dataclass(frozen=True)
class Outcome:
    subjects: list[DrawnSubject]
    tasks: list[DrawnTask]


class NotEnoughInspectors(Exception):
    """Fewer eligible inspectors than a task needs (after 回避)."""

    def __init__(self, task_no: int, uscc: str, available: int, needed: int) -> None:
        super().__init__(f"task {task_no} ({uscc}): {available} eligible inspectors, {needed} needed")
        self.task_no, self.uscc, self.available, self.needed = task_no, uscc, available, needed


def draw(
    seed: str,
    pool: Sequence[Mapping[str, Any]],
    pool_sha256: str,
    wanted: int,
    eligible: Sequence[str],
    conflicts: Iterable[tuple[str, str]],
    per_task: int,
) -> Outcome:
    """Subjects and, for each, its inspectors: algorithm rs-draw-v1 (the module's docstring)."""
    ranked = sorted(
        (DrawnSubject(str(s["uscc"]), str(s.get("name") or ""), subject_rank(seed, pool_sha256, str(s["uscc"]))) for s in pool),
        key=lambda d: (d.rank, d.uscc),
    )
    drawn = ranked[:wanted]
    avoid = {(officer_id, uscc) for officer_id, uscc in conflicts}
    tasks = []
    for task_no, subject in enumerate(drawn, start=1):
        free = [officer_id for officer_id in eligible if (officer_id, subject.uscc) not in avoid]
        if len(free) < per_task:
            raise NotEnoughInspectors(task_no, subject.uscc, len(free), per_task)
        chosen = sorted(free, key=lambda officer_id: (inspector_rank(seed, task_no, officer_id), officer_id))[:per_task]
        tasks.append(DrawnTask(task_no, subject.uscc, chosen))
    return Outcome(drawn, tasks)


@dataclass
class Verification:
    """What `draws verify` answers: every check with its outcome, and the differences found (empty: it matches)."""

    draw_id: str
    algorithm: str
    ok: bool = True
    checks: dict[str, bool] = field(default_factory=dict)
    differences: list[str] = field(default_factory=list)

    def check(self, name: str, passed: bool, difference: str) -> bool:
        self.checks[name] = passed
        if not passed:
            self.ok = False
            self.differences.append(difference)
        return passed


@dataclass(frozen=True)
class StoredDraw:
    """A draw as stored: what it published and what it drew, to be recomputed."""

    id: str
    algorithm: str
    commitment: str
    secret: str
    public_seed: str | None
    seed: str
    pool_snapshot: str
    pool_size: int
    pool_sha256: str
    wanted: int
    per_task: int
    eligible: list[str]
    conflicts: list[tuple[str, str]]
    drawn: list[str]  # the drawn subjects' uscc, in task order
    tasks: list[tuple[int, str, list[str]]]  # (task number, uscc, inspectors as drawn)


def verify(stored: StoredDraw) -> Verification:
    """Recompute a draw from its stored snapshot and seed and say where anything differs."""
    report = Verification(stored.id, stored.algorithm)
    if not report.check("algorithm", stored.algorithm == ALGORITHM, f"algorithm {stored.algorithm!r} is not {ALGORITHM}"):
        return report
    try:
        commitment = commitment_of(stored.secret)
        seed = seed_of(stored.secret, stored.public_seed)
    except ValueError:
        report.check("commitment", False, "the revealed secret is not 64 hex digits")
        return report
    report.check(
        "commitment",
        commitment == stored.commitment,
        f"SHA-256 of the revealed secret is {commitment}, not the commitment {stored.commitment}",
    )
    report.check("seed", seed == stored.seed, f"the seed derived from the secret is {seed}, not the stored {stored.seed}")
    actual_sha256 = sha256_text(stored.pool_snapshot)
    report.check(
        "pool_sha256",
        actual_sha256 == stored.pool_sha256,
        f"the pool snapshot's SHA-256 is {actual_sha256}, not the published {stored.pool_sha256}",
    )
    try:
        pool = lines_of(stored.pool_snapshot)
    except ValueError as exc:
        report.check("pool_snapshot", False, str(exc))
        return report
    report.check(
        "pool_size", len(pool) == stored.pool_size, f"the pool snapshot holds {len(pool)} subjects, not the published {stored.pool_size}"
    )
    try:
        outcome = draw(stored.seed, pool, stored.pool_sha256, stored.wanted, stored.eligible, stored.conflicts, stored.per_task)
    except NotEnoughInspectors as short:
        report.check("tasks", False, f"recomputed, task {short.task_no} would have only {short.available} eligible inspectors")
        return report
    drawn = [s.uscc for s in outcome.subjects]
    report.check("drawn", drawn == stored.drawn, _first_difference("drawn subject", drawn, stored.drawn))
    tasks = [(t.task_no, t.uscc, t.inspectors) for t in outcome.tasks]
    report.check("tasks", tasks == stored.tasks, _first_difference("task", tasks, stored.tasks))
    return report


def _first_difference(what: str, recomputed: Sequence[Any], stored: Sequence[Any]) -> str:
    for number, (mine, theirs) in enumerate(zip(recomputed, stored), start=1):
        if mine != theirs:
            return f"{what} {number}: recomputed {_shown(mine)}, stored {_shown(theirs)}"
    return f"recomputed {len(recomputed)} {what}s, stored {len(stored)}"


def _shown(value: Any) -> str:
    if isinstance(value, tuple):
        task_no, uscc, inspectors = value
        return f"{uscc} inspected by {', '.join(inspectors)}"
    return str(value)
