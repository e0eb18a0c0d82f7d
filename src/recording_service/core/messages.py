"""The message catalogue (`core/messages.yaml`): the Chinese every page, sheet made for people, problem shown
on a page and audit event as people read it uses for a code — field labels, status words, value names,
problems, the audit trail's actions and payload labels — and the helpers that turn a pydantic validation error
or a Problem into Chinese that names the field by its label. In core because the audit chain, below every
domain, describes its events with it; it holds words, no domain logic.

One data file rather than strings in templates: the words of 执法文书 practice are chosen once and used alike
in pages, findings and exports, and a reviewer of the wording reads one file. Packaged only (not per agency):
these are the service's words, not an agency's data. Validated when the service starts (app.py).
"""

import re
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .problems import Problem

ACTION_CODE = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$")
CJK = re.compile(r"[\u3400-\u9fff]")
ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
REQUIRED_VALUES = (
    "role",
    "case_status",
    "stage_status",
    "media_status",
    "document_status",
    "fixity",
    "copy_status",
    "certificate_status",
    "time_source",
    "media_flag",
    "officer_history_reason",
    "container",
    "codec",
)


class AuditWords(BaseModel):
    """The audit trail's words: action descriptions by group, payload labels, code values."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    groups: dict[str, str] = Field(description="the action select's groups, by an action's first part")
    actions: dict[str, str] = Field(min_length=1)
    labels: dict[str, str]
    values: dict[str, dict[str, str]]

    @model_validator(mode="after")
    def _sound(self) -> "AuditWords":
        for code, text in self.actions.items():
            if not ACTION_CODE.match(code):
                raise ValueError(f"action {code!r} is not a code like case.created")
            if code.split(".", 1)[0] not in self.groups:
                raise ValueError(f"action {code!r} has no group (add {code.split('.', 1)[0]!r} to groups)")
            if not text.strip():
                raise ValueError(f"action {code!r} has no description")
        for name, text in [*self.labels.items(), *self.groups.items()]:
            if not text.strip():
                raise ValueError(f"{name!r} has an empty label")
        return self

    def action_name(self, code: str) -> str:
        return self.actions.get(code, code)

    def choices(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """The action select: (group, [(code, description)]) in the file's order."""
        grouped: dict[str, list[tuple[str, str]]] = {group: [] for group in self.groups}
        for code, text in self.actions.items():
            grouped[code.split(".", 1)[0]].append((code, text))
        return [(self.groups[group], items) for group, items in grouped.items() if items]


class Messages(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fields: dict[str, dict[str, str]]
    errors: dict[str, str]
    model_errors: dict[str, str]
    values: dict[str, dict[str, str]]
    problems: dict[str, str]
    texts: dict[str, str]
    audit: AuditWords

    @field_validator("values")
    @classmethod
    def _every_kind(cls, values: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        missing = [kind for kind in REQUIRED_VALUES if kind not in values]
        if missing:
            raise ValueError(f"values lacks {', '.join(missing)}")
        return values

    @field_validator("fields", "values")
    @classmethod
    def _texts_nested(cls, groups: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for group, texts in groups.items():
            _check_texts(texts, group)
        return groups

    @field_validator("errors", "model_errors", "problems", "texts")
    @classmethod
    def _texts_flat(cls, texts: dict[str, str]) -> dict[str, str]:
        return _check_texts(texts, "messages")


def _check_texts(texts: dict[str, str], where: str) -> dict[str, str]:
    for key, text in texts.items():
        if not str(text).strip():
            raise ValueError(f"{where}.{key} is empty")
    return texts


class MessagesError(Exception):
    pass


class _UniqueKeys(yaml.SafeLoader):
    """YAML that refuses a key given twice in one mapping (plain YAML keeps the last one silently: two edits of
    the catalogue could otherwise replace a word without anyone noticing)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"{key!r} is given twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_messages(raw: str) -> Messages:
    return Messages.model_validate(yaml.load(raw, Loader=_UniqueKeys))  # a SafeLoader: no arbitrary objects


@cache
def messages() -> Messages:
    """The packaged catalogue, read once; a bad one raises MessagesError (the service does not start)."""
    try:
        return load_messages((resources.files(__package__) / "messages.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise MessagesError(f"the message catalogue is invalid: {exc}") from exc


def name_of(kind: str, code: Any, default: str | None = None) -> str:
    """The Chinese for a code of a kind (a status, a flag…); the code itself when the catalogue has none."""
    if code is None or code == "":
        return default if default is not None else "—"
    return messages().values.get(kind, {}).get(str(code), default if default is not None else str(code))


def names(kind: str) -> dict[str, str]:
    return dict(messages().values[kind])


def label(form: str, field: str) -> str:
    return messages().fields.get(form, {}).get(field, field)


def text(key: str, **values: Any) -> str:
    return messages().texts[key].format(**values)


def error_zh(error: Mapping[str, Any], form: str | None = None) -> str:
    """One pydantic error's message in Chinese (without the field); a form's field may word a type its own way
    (`officer.officer_id:string_pattern_mismatch`)."""
    catalogue = messages()
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    if message in catalogue.model_errors:
        return catalogue.model_errors[message]
    kind = str(error.get("type", ""))
    named = [str(part) for part in error.get("loc") or () if isinstance(part, str)]
    template = catalogue.errors.get(f"{form}.{named[-1]}:{kind}") if form and named else None
    template = template or catalogue.errors.get(kind)
    if template is not None:
        try:
            return template.format(**(error.get("ctx") or {}))
        except (KeyError, IndexError):
            return template.split("（")[0]
    if CJK.search(message) and not ENGLISH_WORD.search(message):
        return message
    return catalogue.errors["value_error"]


def field_of(error: Mapping[str, Any], form: str) -> str | None:
    """The label of the field an error is about (the first named part of its location), None for the whole form."""
    for part in error.get("loc") or ():
        if isinstance(part, str) and part not in ("body", "query", "form", "path", "header", "cookie"):
            return messages().fields.get(form, {}).get(part, "某一项")  # a field without a label is never named in English
    return None


def errors_zh(errors: Iterable[Mapping[str, Any]], form: str, row: int | None = None) -> list[str]:
    """Each error as a person reads it: "第 3 行 有效期起：不是有效日期（应为 YYYY-MM-DD）"."""
    lines = []
    for error in errors:
        where = text("row", row=row) + " " if row is not None else ""
        field = field_of(error, form)
        said = error_zh(error, form)
        lines.append(f"{where}{field}：{said}" if field else f"{where}{said}")
    return lines


def validation_zh(exc: ValidationError, form: str, row: int | None = None) -> str:
    return "；".join(errors_zh(exc.errors(), form, row))


def is_chinese(message: str | None) -> bool:
    """A message a person can read as it is: Chinese, with no English word in it (codes and numbers may stand)."""
    return bool(message) and bool(CJK.search(message or "")) and not ENGLISH_WORD.search(_without_codes(message or ""))


def _without_codes(message: str) -> str:
    return re.sub(r"YYYY-MM-DD|SHA-256|[A-Za-z0-9_.\-]*\d[A-Za-z0-9_.\-]*", "", message)


def problem_text(code: str) -> str:
    """The catalogue's Chinese for a problem code, for a Problem's `detail_zh` where it is raised."""
    return messages().problems[code]


def problem_zh(problem: Problem, default: str | None = None) -> str:
    """What a page shows for a problem: its `detail_zh`, a Chinese `detail`, the catalogue's words for its code,
    or (a problem no page was meant to meet) the default; never the API's English."""
    given = problem.extra.get("detail_zh")
    if isinstance(given, str) and given.strip():
        return given
    if is_chinese(problem.detail):
        return problem.detail
    known = messages().problems.get(problem.code)
    if known:
        return known
    return default if default is not None else "请求未能完成。"
