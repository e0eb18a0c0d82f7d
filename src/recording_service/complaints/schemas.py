from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from ..core.messages import name_of
from ..core.values import RequestModel
from .models import Complaint
from .reference import shown

About = Literal["officer", "publication", "other"]
Status = Literal["received", "assigned", "replied"]
MAX_TEXT = 5000  # characters of a complaint or a reply: a page or two of text


class ComplaintStatus(StrEnum):
    received = "received"  # 待办理
    assigned = "assigned"  # 办理中
    replied = "replied"  # 已答复


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("the text is empty")
    return value.strip()


class ComplaintCreate(RequestModel):
    """A complaint as anyone files it (no token)."""

    about: About = Field(description="`officer` 执法人员, `publication` 公示信息 or `other` 其他事项")
    target: str = Field(
        default="",
        max_length=200,
        description="who or what: the officer's name or 执法证号, the publication's id or 文号; may be empty for `other`",
    )
    text: str = Field(min_length=1, max_length=MAX_TEXT, description="what happened")
    contact: str | None = Field(
        default=None, max_length=200, description="how to reach the complainant (phone, mail): only staff who handle complaints read it"
    )
    agency: str | None = Field(
        default=None,
        max_length=64,
        description="the agency that receives it (GET /api/v1/public/agencies); may be left out when the publication "
        "complained about names it, or when the service keeps one agency",
    )

    _text = field_validator("text")(_text)

    @field_validator("target", "agency", "contact")
    @classmethod
    def _trimmed(cls, value: str | None) -> str | None:
        return value.strip() if value is not None else None

    @model_validator(mode="after")
    def _target_named(self) -> "ComplaintCreate":
        if self.about != "other" and not self.target:
            raise ValueError("a complaint about an officer or a publication names it in target")
        return self


class ComplaintFiled(BaseModel):
    """What the complainant keeps: the reference number to look the reply up by, and when it is due."""

    reference: str = Field(description="投诉编号, e.g. TS-7K4M-Q2XD-9HBNR: the only key to the complaint's status and reply")
    status: Status
    filed_on: date
    due_on: date
    agency: str


class PublicComplaint(BaseModel):
    """What the holder of a reference number reads: the complaint, its status and the reply — never the contact, nor
    who handles it."""

    reference: str
    agency: str
    about: About
    about_name: str
    target: str
    text: str
    status: Status
    status_name: str
    filed_on: date
    due_on: date
    reply: str | None
    replied_on: date | None

    @classmethod
    def of(cls, complaint: Complaint, reference: str) -> "PublicComplaint":
        return cls(
            reference=shown(reference),
            agency=complaint.agency,
            about=complaint.about,  # type: ignore[arg-type]  # stored from About
            about_name=name_of("complaint_about", complaint.about),
            target=complaint.target,
            text=complaint.text,
            status=complaint.status,  # type: ignore[arg-type]  # stored from Status
            status_name=name_of("complaint_status", complaint.status),
            filed_on=complaint.filed_on,
            due_on=complaint.due_on,
            reply=complaint.reply if complaint.status == ComplaintStatus.replied else None,
            replied_on=complaint.replied_on,
        )


class ComplaintOut(BaseModel):
    """A complaint in the staff queue. `contact` only for those who handle complaints (admin); null for others."""

    id: str
    agency: str
    about: About
    about_name: str
    target: str
    text: str
    contact: str | None
    contact_withheld: bool = Field(description="true when the complainant left a contact this reader may not see")
    status: Status
    status_name: str
    filed_at: datetime
    filed_on: date
    due_on: date
    due_provisional: bool
    overdue: bool = Field(description="not replied and past its due date")
    assignee: str | None
    assigned_at: datetime | None
    reply: str | None
    replied_at: datetime | None
    replied_on: date | None
    replied_by: str | None
    replied_late: bool | None = Field(description="replied after the due date (null: not replied)")

    @classmethod
    def of(cls, complaint: Complaint, *, today: date, sees_contact: bool) -> "ComplaintOut":
        return cls(
            id=complaint.id,
            agency=complaint.agency,
            about=complaint.about,  # type: ignore[arg-type]
            about_name=name_of("complaint_about", complaint.about),
            target=complaint.target,
            text=complaint.text,
            contact=complaint.contact if sees_contact else None,
            contact_withheld=bool(complaint.contact) and not sees_contact,
            status=complaint.status,  # type: ignore[arg-type]
            status_name=name_of("complaint_status", complaint.status),
            filed_at=complaint.filed_at,
            filed_on=complaint.filed_on,
            due_on=complaint.due_on,
            due_provisional=complaint.due_provisional,
            overdue=is_overdue(complaint, today),
            assignee=complaint.assignee,
            assigned_at=complaint.assigned_at,
            reply=complaint.reply,
            replied_at=complaint.replied_at,
            replied_on=complaint.replied_on,
            replied_by=complaint.replied_by,
            replied_late=(complaint.replied_on > complaint.due_on) if complaint.replied_on is not None else None,
        )


def is_overdue(complaint: Complaint, today: date) -> bool:
    return complaint.status != ComplaintStatus.replied and complaint.due_on < today


class ComplaintPage(BaseModel):
    items: list[ComplaintOut]
    next_cursor: str | None = None


class AssignBody(RequestModel):
    assignee: str = Field(min_length=1, max_length=100, description="who handles it (a name, with the office if it helps)")

    _assignee = field_validator("assignee")(_text)


class ReplyBody(RequestModel):
    text: str = Field(min_length=1, max_length=MAX_TEXT, description="the answer the complainant reads by the reference number")

    _reply = field_validator("text")(_text)
