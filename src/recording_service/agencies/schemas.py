import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError
from stdnum.cn import uscc as uscc_rules
from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError

from ..core.values import RequestModel
from .models import AgencyProfile

AGENCY_CODE = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"  # as tokens and people carry it (auth.service)
# The first two digits of a 行政区划代码 (GB/T 2260): the provinces, 71 台湾, 81 香港, 82 澳门.
PROVINCES = frozenset(
    {
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    }
)
FIELDS = ("name_zh", "uscc", "division_code", "parent", "address", "phone", "office_hours", "review_body", "court")
FIELD_NAMES_ZH = {
    "code": "单位代码",
    "name_zh": "机关全称",
    "uscc": "统一社会信用代码",
    "division_code": "行政区划代码",
    "parent": "上级单位",
    "address": "地址",
    "phone": "电话",
    "office_hours": "办公时间",
    "review_body": "复议机关",
    "court": "行政诉讼管辖法院",
}


def checked_uscc(value: str) -> str:
    """The code in its compact form (spaces and dashes dropped, upper case), or a PydanticCustomError saying why not."""
    try:
        return uscc_rules.validate(value)
    except InvalidLength:
        raise PydanticCustomError("uscc_length", "a 统一社会信用代码 has 18 characters") from None
    except InvalidChecksum:
        raise PydanticCustomError("uscc_checksum", "the 统一社会信用代码's check character is wrong (GB 32100)") from None
    except ValidationError:
        raise PydanticCustomError(
            "uscc_format", "a 统一社会信用代码 is 8 digits then letters and digits other than I, O, S, V, Z"
        ) from None


def checked_division(value: str) -> str:
    value = value.strip()
    if not re.fullmatch(r"[0-9]{6}", value):
        raise PydanticCustomError("division_format", "a 行政区划代码 is 6 digits")
    if value[:2] not in PROVINCES:
        raise PydanticCustomError("division_province", "a 行政区划代码 begins with a province's code (11 to 82)")
    return value


def _optional(value: object) -> object:
    """Optional text: trimmed, and blank means none."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


class AgencyFields(RequestModel):
    """A profile as a whole: PUT replaces it (an optional field left out is cleared)."""

    name_zh: str = Field(min_length=1, max_length=200, description="机关全称")
    uscc: str = Field(max_length=40, description="统一社会信用代码 (GB 32100, check character verified)")
    division_code: str = Field(max_length=6, description="6-digit 行政区划代码 (GB/T 2260)")
    parent: str | None = Field(default=None, pattern=AGENCY_CODE, description="the agency that hosts this one (a city its counties)")
    address: str | None = Field(default=None, max_length=500)
    phone: str | None = Field(default=None, max_length=100)
    office_hours: str | None = Field(default=None, max_length=200)
    review_body: str | None = Field(default=None, max_length=200, description="复议机关")
    court: str | None = Field(default=None, max_length=200, description="the court that hears 行政诉讼 against the agency")

    _trimmed = field_validator("name_zh", mode="before")(lambda v: v.strip() if isinstance(v, str) else v)
    _blank_is_none = field_validator("parent", "address", "phone", "office_hours", "review_body", "court", mode="before")(_optional)
    _uscc = field_validator("uscc")(checked_uscc)
    _division = field_validator("division_code", mode="before")(lambda v: checked_division(v) if isinstance(v, str) else v)


class PublicAgency(BaseModel):
    """What anyone may read about an agency."""

    code: str
    name_zh: str
    uscc: str
    division_code: str
    parent: str | None
    address: str | None
    phone: str | None
    office_hours: str | None
    review_body: str | None
    court: str | None

    @classmethod
    def of(cls, profile: AgencyProfile) -> "PublicAgency":
        return cls(code=profile.code, **{name: getattr(profile, name) for name in FIELDS})


class AgencyOut(PublicAgency):
    version: int
    updated_at: datetime
    updated_by: str

    @classmethod
    def of(cls, profile: AgencyProfile) -> "AgencyOut":
        return cls(
            code=profile.code,
            version=profile.version,
            updated_at=profile.updated_at,
            updated_by=profile.updated_by,
            **{name: getattr(profile, name) for name in FIELDS},
        )


class AgencyPage(BaseModel):
    items: list[AgencyOut]
    next_cursor: str | None = None


class PublicAgencyPage(BaseModel):
    items: list[PublicAgency]
    next_cursor: str | None = None


class AgencyVersionOut(BaseModel):
    version: int
    fields: dict[str, Any] = Field(description="the whole profile as this version left it")
    changed: list[str] = Field(description="the fields this version changed")
    changed_at: datetime
    changed_by: str


class AgencyVersionPage(BaseModel):
    items: list[AgencyVersionOut]
    next_cursor: str | None = None
