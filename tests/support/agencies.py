"""Agency profiles (tests/test_agencies.py, tests/api/test_agencies.py)."""

import uuid

# 统一社会信用代码 of government organs (11…), check characters computed with GB 32100.
CITY_USCC = "11340600MB1234567C"
COUNTY_USCC = "11340621MB00000015"
OTHER_COUNTY_USCC = "11340621MB00000028"


def codes() -> tuple[str, str, str]:
    suffix = uuid.uuid4().hex[:6].upper()
    return f"AC{suffix}", f"AY{suffix}", f"AZ{suffix}"


def profile(name_zh: str, uscc: str, division_code: str, **optional) -> dict:
    return {"name_zh": name_zh, "uscc": uscc, "division_code": division_code, **optional}
