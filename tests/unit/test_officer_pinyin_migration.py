"""Migration 0029 fills the 汉语拼音 sort keys of the officers already in a register, keyed as the service keys a new
officer's (so a register upgraded in place lists its people by unit and name in pinyin order at once); and the key
itself orders as Chinese readers do."""

import sqlalchemy as sa

from recording_service.core.migrate import upgrade
from recording_service.officers.collation import KEY_LENGTH, sort_key

PEOPLE = [
    ("p1", "张三", "濉溪县卫生监督所"),
    ("p2", "单田芳", "濉溪县卫生监督所"),
    ("p3", "曾乐", "濉溪县疾病预防控制中心（疾控）"),
    ("p4", "Alice 王", "第1卫生监督大队"),
    ("p5", "吕布", "濉溪县卫生监督所"),
]


def test_existing_officers_are_keyed_after_the_upgrade(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0028")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for pk, name, unit in PEOPLE:
            conn.execute(
                sa.text(
                    "INSERT INTO officers (id, agency, officer_id, name, unit, certificate_number, categories, regions, valid_from,"
                    " valid_to, status, created_at, updated_at) VALUES (:id, 'A1', :id, :name, :unit, :id, '[]', '[]', '2024-01-01',"
                    " '2030-01-01', 'valid', '2026-03-02 01:00:00.000000', '2026-03-02 01:00:00.000000')"
                ),
                {"id": pk, "name": name, "unit": unit},
            )
    engine.dispose()
    upgrade(url)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT name, unit, name_key, unit_key FROM officers ORDER BY unit_key, unit, name_key, name")).all()
    engine.dispose()
    for name, unit, name_key, unit_key in rows:
        assert (name_key, unit_key) == (sort_key(name, person=True), sort_key(unit))
    assert [row.name for row in rows] == ["Alice 王", "曾乐", "吕布", "单田芳", "张三"]  # 第(di) 疾(ji) 卫(wei); lü shan zhang


def test_keys_order_as_readers_do():
    def ordered(names: list[str]) -> list[str]:
        return sorted(names, key=lambda name: (sort_key(name, person=True), name))

    assert ordered(["赵六", "王五", "李四", "张三", "安然"]) == ["安然", "李四", "王五", "张三", "赵六"]
    assert ordered(["章三", "张三"]) == ["张三", "章三"]  # the same reading: by the character
    assert ordered(["单田芳", "丁一"]) == ["丁一", "单田芳"]  # 单 as a surname reads shàn
    assert ordered(["卢二", "吕二", "路二"]) == ["卢二", "路二", "吕二"]  # lú lù lǚ: ü after u, tone by tone
    assert ordered(["张三", "张"]) == ["张", "张三"]  # a shorter name first
    assert sort_key("（濉溪县）卫生 监督所") == sort_key("濉溪县卫生监督所")  # brackets and spaces do not order
    assert sort_key("１号") == sort_key("1号")  # full-width digits as digits
    long_key = sort_key("很" * 300)
    assert len(long_key) == KEY_LENGTH and long_key.isascii() and long_key.isalnum()  # fits a cursor
