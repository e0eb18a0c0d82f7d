from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated

import yaml
from fastapi import Depends, Request

from ..core.deps import on_the_loop
from .schemas import Catalog

FILES = ("procedures.yaml", "document_types.yaml", "retention.yaml")
REASONS = "interruption_reasons.yaml"  # optional in an agency's directory: the packaged list otherwise
CALENDAR = "calendar.yaml"  # likewise: the official calendar as packaged, unless an agency keeps its own
TIME_LIMITS = "time_limits.yaml"  # likewise
REVIEW_SHEET = "review_sheet.yaml"  # likewise: an agency's own 评查标准
PUBLICATION = "publication.yaml"  # likewise: the province's publication deadlines and periods
MATTERS = "matters.yaml"  # likewise: the agency's 行政执法事项清单 with a 服务指南 per matter
INSPECTION_MATTERS = "inspection_matters.yaml"  # likewise: the 随机抽查事项清单
STATISTICS = "statistics.yaml"  # likewise: what the statistics count by
COMPLAINTS = "complaints.yaml"  # likewise: when a complaint from the public is to be answered


class CatalogError(Exception):
    pass


@cache
def load_catalog(directory: Path | None = None) -> Catalog:
    """Read and validate the catalogs (the packaged ones, or an agency's own directory holding
    procedures.yaml and document_types.yaml); the service refuses to start on a bad catalog."""
    source = directory if directory is not None else resources.files(__package__) / "data"
    try:
        procedures, document_types, retention = ((source / name).read_text(encoding="utf-8") for name in FILES)
        reasons_file, calendar_file, limits_file, sheet_file, publication_file, matters_file, inspection_file, statistics_file = (
            _own_or_packaged(source, name)
            for name in (REASONS, CALENDAR, TIME_LIMITS, REVIEW_SHEET, PUBLICATION, MATTERS, INSPECTION_MATTERS, STATISTICS)
        )
        limits = yaml.safe_load(limits_file.read_text(encoding="utf-8"))
        return Catalog(
            procedures=yaml.safe_load(procedures),
            document_types=yaml.safe_load(document_types),
            retention_classes=yaml.safe_load(retention),
            interruption_reasons=yaml.safe_load(reasons_file.read_text(encoding="utf-8")),
            calendar=yaml.safe_load(calendar_file.read_text(encoding="utf-8"))["years"],
            time_limits=limits["rules"],
            amount_limits=limits.get("amount_limits", []),
            pause_reasons=limits.get("pause_reasons", []),
            review_sheet=yaml.safe_load(sheet_file.read_text(encoding="utf-8")),
            publication=yaml.safe_load(publication_file.read_text(encoding="utf-8")),
            matters=yaml.safe_load(matters_file.read_text(encoding="utf-8")),
            inspection_matters=yaml.safe_load(inspection_file.read_text(encoding="utf-8")),
            statistics=yaml.safe_load(statistics_file.read_text(encoding="utf-8")),
            complaints=yaml.safe_load(_own_or_packaged(source, COMPLAINTS).read_text(encoding="utf-8")),
        )
    except (OSError, yaml.YAMLError, ValueError, KeyError, TypeError) as exc:
        raise CatalogError(f"the catalog in {source} is invalid: {exc}") from exc


def _own_or_packaged(source: Traversable, name: str) -> Traversable:
    own = source / name
    return own if own.is_file() else resources.files(__package__) / "data" / name


def get_catalog(request: Request) -> Catalog:
    """The catalog the service started with (validated then; app.py keeps it on the app)."""
    catalog: Catalog = request.app.state.catalog
    return catalog


CatalogDep = Annotated[Catalog, Depends(on_the_loop(get_catalog))]
