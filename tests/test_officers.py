"""The officer register's public list on both legs, where the database answers: every valid officer exactly once
across pages (ties broken by id), and the filters by name, certificate, unit and category, typed characters never
wildcards. (Maintaining, importing and checking the register: tests/api/test_officers.py.)"""

import uuid

from .support.officers import import_csv


def test_the_public_list_walks_every_valid_officer_exactly_once(leg):
    agency = f"OP{uuid.uuid4().hex[:6]}"
    units = ["濉溪县卫生健康委员会", "淮北市卫生健康委员会", "相山区卫生健康委员会"]
    rows = [
        f"41{n:05d},{'张三' if n % 7 == 0 else f'人员{n % 50}'},{units[n % 3]},皖卫执41{n:05d},医疗卫生,某县,2024-01-01,2030-12-31,"
        f"{'吊销' if n % 10 == 9 else '有效'}\n"
        for n in range(230)
    ]  # names and units repeat: ties broken by id
    with leg.client(leg.token("admin", agency)) as admin:
        import_csv(admin, rows)
    with leg.client() as anonymous:
        seen, cursor, pages = [], None, 0
        while True:
            answer = anonymous.get(
                "/api/v1/public/officers", params={"agency": agency, "limit": 40, **({"cursor": cursor} if cursor else {})}
            )
            assert answer.status_code == 200, answer.text
            assert set(answer.json()) == {"items", "next_cursor"}
            assert answer.headers["cache-control"] == "public, max-age=60"
            seen += [item["certificate_number"] for item in answer.json()["items"]]
            pages += 1
            cursor = answer.json()["next_cursor"]
            if not cursor:
                break
    valid = {f"皖卫执41{n:05d}" for n in range(230) if n % 10 != 9}
    assert len(seen) == len(set(seen)) == len(valid) and set(seen) == valid
    assert pages == 6  # 207 officers, 40 a page


def test_the_public_list_filters_by_name_certificate_unit_and_category(leg):
    agency = f"OQ{uuid.uuid4().hex[:6]}"
    with leg.client(leg.token("admin", agency)) as admin:
        import_csv(
            admin,
            [
                "4200001,欧阳娜娜,濉溪县卫生健康委员会,皖卫执4200001,医疗卫生、职业卫生,濉溪县,2024-01-01,2030-12-31,有效\n",
                "4200002,欧阳锋,淮北市卫生健康委员会,皖卫执4200002,公共场所卫生,淮北市,2024-01-01,2030-12-31,有效\n",
                "4200003,李娜,濉溪县市场监督管理局,皖市监4200003,医疗卫生器械,濉溪县,2024-01-01,2030-12-31,有效\n",
                "4200004,王%_,濉溪县卫生健康委员会,皖卫执4200004,职业卫生,濉溪县,2024-01-01,2030-12-31,有效\n",
            ],
        )

    def names(**params) -> set[str]:
        with leg.client() as anonymous:
            answer = anonymous.get("/api/v1/public/officers", params={"agency": agency, **params})
        assert answer.status_code == 200, answer.text
        return {item["name"] for item in answer.json()["items"]}

    assert names(name="欧阳") == {"欧阳娜娜", "欧阳锋"}  # any part of the name
    assert names(name="娜") == {"李娜", "欧阳娜娜"}
    assert names(certificate_number="皖卫执4200002") == {"欧阳锋"}
    assert names(certificate_number="4200002") == set()  # a certificate number is asked for whole
    assert names(unit="濉溪县卫生") == {"王%_", "欧阳娜娜"}
    assert names(category="医疗卫生") == {"欧阳娜娜"}  # one of the certificate's categories, not a part of one
    assert names(category="职业卫生", unit="濉溪") == {"王%_", "欧阳娜娜"}
    assert names(name="%") == {"王%_"} and names(name="_") == {"王%_"}  # typed characters, never wildcards
    assert names(name="  欧阳锋 ") == {"欧阳锋"}
