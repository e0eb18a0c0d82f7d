"""The officer register's sheets (tests/test_officers.py, tests/api/test_officers.py)."""


def import_csv(admin, rows: list[str]) -> None:
    header = "执法人员编号,姓名,单位,执法证号,执法类别,执法区域,有效期起,有效期止,状态\n"
    done = admin.post("/api/v1/officers/import", files={"file": ("清单.csv", (header + "".join(rows)).encode(), "text/csv")})
    assert done.status_code == 200, done.text
