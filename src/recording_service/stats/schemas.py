from datetime import date

from pydantic import BaseModel, Field

# A statistic's row as JSON, CSV and XLSX answer it: a code, a name, a count, a figure or a ratio (0.85), or nothing.
Cell = str | int | float | None
Row = dict[str, Cell]
Totals = dict[str, Cell | dict[str, int]]  # the figures summed (the case counts also by procedure)


class Column(BaseModel):
    key: str
    title_zh: str


class StatsOut(BaseModel):
    name: str
    title_zh: str
    agency: str | None = Field(description="null: every agency (an all-agency administrator)")
    agency_name: str = Field(description="the agency's full name from its profile (its code until it has one), or 全部单位")
    from_: date = Field(alias="from")
    to: date
    columns: list[Column]
    rows: list[Row]
    totals: Totals | None
    notes: list[str]
    figures_through_seq: int = Field(description="the audit log's sequence number the stored figures have followed to")
    pending_events: int = Field(description="events after it not yet reflected (0: the figures are current)")

    model_config = {"populate_by_name": True}


class ReportTableOut(BaseModel):
    kind: str
    title_zh: str
    columns: list[Column]
    rows: list[Row]


class AnnualReportOut(BaseModel):
    year: int
    agency: str | None
    agency_name: str = Field(description="the agency's full name from its profile (its code until it has one), or 全部单位")
    title_zh: str = Field(description="e.g. 某某市卫生健康委员会 2026年度行政执法统计年报")
    due_on: date = Field(description="行政执法统计年报 are due by 31 January of the following year")
    tables: list[ReportTableOut]
    notes: list[str]
    figures_through_seq: int
    pending_events: int
