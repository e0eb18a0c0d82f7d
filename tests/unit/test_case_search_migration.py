"""Migration 0027 fills the search columns of the cases already there, folded as the service folds a new case's
(so a database upgraded in place finds its old cases by part of a 案号)."""

import json

import sqlalchemy as sa

from recording_service.cases.search import search_fields
from recording_service.core.migrate import upgrade


def test_existing_cases_are_searchable_after_the_upgrade(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0026")
    parties = [{"name": "濉溪县某某 口腔诊所", "kind": "organization", "id_number": "91340621MA2N0ABC1X", "legal_representative": "王某"}]
    officers = [{"officer_id": "3401001", "name": "李四", "certificate_number": "皖卫执证０００１"}]
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for n in range(3):
            conn.execute(
                sa.text(
                    "INSERT INTO cases (id, agency, case_number, procedure, title, status, parties, officers, opened_at, created_by,"
                    " created_at) VALUES (:id, 'A1', :number, 'penalty-general', '擅自执业案', 'open', :parties, :officers,"
                    " '2026-03-02 01:00:00.000000', 'token', '2026-03-02 01:00:00.000000')"
                ),
                {"id": f"case{n}", "number": f"濉卫立［2026］{n}号", "parties": json.dumps(parties), "officers": json.dumps(officers)},
            )
    engine.dispose()
    upgrade(url)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, case_number, search_text, search_ids FROM cases ORDER BY id")).all()
    engine.dispose()
    assert len(rows) == 3
    for _, number, text, ids in rows:
        assert (text, ids) == search_fields(number, "擅自执业案", parties, officers)
    assert rows[1].search_text.split("\n") == [
        "濉卫立(2026)1号",
        "擅自执业案",
        "濉溪县某某口腔诊所",
        "王某",
        "李四",
        "3401001",
        "皖卫执证0001",
    ]
    assert rows[1].search_ids == "91340621ma2n0abc1x"
