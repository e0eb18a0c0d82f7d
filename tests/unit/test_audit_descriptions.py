"""Every audit action the code records has a Chinese description (the audit section of core/messages.yaml), every payload key it writes a
label, and payloads read as people read them. The actions are found in the source: each `record(session, who, ACTION,
...)` call's action — a literal, a conditional of literals, a name assigned literals in the same function, or an
f-string over such a name."""

import ast
import itertools
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from recording_service.audit.describe import descriptions, details, details_text
from recording_service.core.messages import AuditWords

SOURCE = Path(__file__).resolve().parents[2] / "src" / "recording_service"


def _record_calls():
    """(file, line, call, enclosing function) for every call of `record` with an action argument."""
    for path in sorted(SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "record" and len(node.args) >= 3:
                    yield path.relative_to(SOURCE), node.lineno, node, function


def _strings(expr: ast.expr, function: ast.AST, where: str) -> set[str]:
    """Every string the expression can take, from the literals it is built of."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return {expr.value}
    if isinstance(expr, ast.IfExp):
        return _strings(expr.body, function, where) | _strings(expr.orelse, function, where)
    if isinstance(expr, ast.Name):
        assigned = [
            node.value
            for node in ast.walk(function)
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == expr.id for t in node.targets)
        ]
        assert assigned, f"{where}: the action's name {expr.id!r} is never assigned in its function"
        return set().union(*(_strings(value, function, where) for value in assigned))
    if isinstance(expr, ast.JoinedStr):
        parts = [
            _strings(part.value, function, where) if isinstance(part, ast.FormattedValue) else _strings(part, function, where)
            for part in expr.values
        ]
        return {"".join(combination) for combination in itertools.product(*parts)}
    raise AssertionError(f"{where}: cannot tell which actions {ast.unparse(expr)!r} records; use literals")


def recorded_actions() -> dict[str, str]:
    found = {}
    for path, line, call, function in _record_calls():
        for action in _strings(call.args[2], function, f"{path}:{line}"):
            found.setdefault(action, f"{path}:{line}")
    return found


def test_every_action_the_code_records_has_a_chinese_description():
    actions = recorded_actions()
    assert len(actions) > 60, sorted(actions)  # the parser finds them all, not a few
    assert {"media.created", "case.created", "timeline.read", "fixity.mismatch", "publication.corrected", "stage.skipped"} <= set(actions)
    known = descriptions().actions
    missing = {action: where for action, where in actions.items() if action not in known}
    assert not missing, f"describe these actions in the audit section of src/recording_service/core/messages.yaml: {missing}"
    for action in actions:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in known[action]), (action, known[action])


def test_every_payload_key_the_code_writes_has_a_label():
    labels = descriptions().labels
    missing = {}
    for path, line, call, _function in _record_calls():
        for keyword in call.keywords:
            if keyword.arg == "payload" and isinstance(keyword.value, ast.Dict):
                for key in keyword.value.keys:
                    if isinstance(key, ast.Constant) and key.value not in labels:
                        missing.setdefault(key.value, f"{path}:{line}")
    assert not missing, f"label these payload keys in the audit section of src/recording_service/core/messages.yaml: {missing}"


def test_a_payload_reads_in_chinese_with_local_times_and_short_hashes():
    assert details_text({"status": "ready", "probe_error": None}) == "状态：可播放；探测错误：无"
    shown = details(
        {"sha256": "ab" * 32, "expires_at": "2026-12-06T03:00:00+00:00", "serious_harm": False, "officers": ["3401001", "3401002"]},
        ZoneInfo("Asia/Shanghai"),
    )
    assert [(d.label, d.text, d.full) for d in shown] == [
        ("哈希", "abababababab…", "ab" * 32),
        ("有效期至", "2026-12-06 11:00:00", None),
        ("危害后果严重", "否", None),
        ("执法人员", "3401001、3401002", None),
    ]
    # A sheet keeps the whole hash; a catalog code reads as its name when the caller knows it.
    assert details_text({"sha256": "ab" * 32}) == "哈希：" + "ab" * 32
    assert details_text({"procedure": "penalty-general"}, names={"procedure": {"penalty-general": "一般程序"}}) == "程序：一般程序"
    assert details_text({"facts": {"from": {}, "to": {"fine_yuan": 200}}}) == "案件事实：（原值：（空），新值：（罚款（元）：200））"


def test_the_descriptions_file_is_checked():
    good = descriptions().model_dump()
    with pytest.raises(ValidationError, match="no group"):
        AuditWords.model_validate({**good, "actions": {**good["actions"], "robot.danced": "跳舞"}})
    with pytest.raises(ValidationError, match="not a code"):
        AuditWords.model_validate({**good, "actions": {**good["actions"], "Case Created": "立案"}})
    with pytest.raises(ValidationError, match="no description"):
        AuditWords.model_validate({**good, "actions": {**good["actions"], "case.created": " "}})
