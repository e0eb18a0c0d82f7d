"""Partial, normalised case search. What is searched is stored folded (`core.values.search_key`) on the case, one
field a line, and kept current by the service whenever a case is created or changed; a query is folded the same
way and looked for as a substring (LIKE '%…%', served by trigram indexes on PostgreSQL). Parties' identity
numbers are kept apart and searched only by the roles that may read them (`schemas.SEES_ID_NUMBERS`)."""

from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from ..core.principals import Principal
from ..core.values import search_key
from .models import Case
from .schemas import SEES_ID_NUMBERS

MAX_TERMS = 8
LIKE_ESCAPE = "\\"


def _lines(values: list[Any]) -> str:
    keys = [search_key(str(v)) for v in values if v]
    return "\n".join(dict.fromkeys(k for k in keys if k))  # kept in order, each once


def search_fields(case_number: str, title: str, parties: list[dict[str, Any]], officers: list[dict[str, Any]]) -> tuple[str, str]:
    """(search_text, search_ids) of a case: 案号, 案由, parties' names and 法定代表人, officers' names, numbers and
    执法证号; and the parties' 身份证号 / 统一社会信用代码 apart."""
    text = _lines(
        [case_number, title]
        + [v for p in parties for v in (p.get("name"), p.get("legal_representative"))]
        + [v for o in officers for v in (o.get("name"), o.get("officer_id"), o.get("certificate_number"))]
    )
    return text, _lines([p.get("id_number") for p in parties])


def index_case(case: Case) -> None:
    """Set the case's search columns from its fields (on create and on every change of them)."""
    case.search_text, case.search_ids = search_fields(case.case_number, case.title, case.parties or [], case.officers or [])


def query_terms(q: str | None) -> list[str]:
    """The folded terms of a query: split where the person typed spaces, each term folded; every term must match."""
    if not q:
        return []
    terms = [search_key(part) for part in q.split()]
    return list(dict.fromkeys(t for t in terms if t))[:MAX_TERMS]


def _like(term: str) -> str:
    escaped = term.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")
    return f"%{escaped}%"


def matches(principal: Principal, terms: list[str]) -> ColumnElement[bool] | None:
    """Every term in the case's searchable text (or, for the roles that may read them, its parties' ID numbers)."""
    if not terms:
        return None
    sees_ids = principal.role in SEES_ID_NUMBERS
    conditions: list[ColumnElement[bool]] = []
    for term in terms:
        pattern = _like(term)
        condition: ColumnElement[bool] = Case.search_text.like(pattern, escape=LIKE_ESCAPE)
        if sees_ids:
            condition = or_(condition, Case.search_ids.like(pattern, escape=LIKE_ESCAPE))
        conditions.append(condition)
    return and_(*conditions)
