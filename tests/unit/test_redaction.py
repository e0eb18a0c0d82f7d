"""Redaction of decision texts: recall per kind over the corpus (no 身份证 or phone number may be missed),
nothing the public may read removed (the party, 文号, amounts, an organisation's code and address), and
the forms that trip naive rules (\\b beside Chinese, full-width digits, spaced groups)."""

from collections import Counter

import pytest

from recording_service.publication.redaction import MASK, Subjects, fold, redact

from ..corpus.decisions import build

CORPUS = build()


def _occurrences(text: str, part: str):
    start = 0
    while (index := text.find(part, start)) >= 0:
        yield index
        start = index + 1


def _masked(original: str, redacted: str, part: str) -> bool:
    """Every occurrence of `part` has each of its visible characters masked."""
    start, found = 0, False
    while (index := original.find(part, start)) >= 0:
        found = True
        if any(redacted[i] != MASK for i in range(index, index + len(part)) if not original[i].isspace()):
            return False
        start = index + 1
    assert found, part
    return True


def test_the_corpus_is_large_and_varied():
    assert len(CORPUS) >= 100
    kinds = Counter(kind for d in CORPUS for kind, _ in d.expected)
    personal = {"name", "id_number", "phone", "address", "bank_account"}
    assert min(kinds[k] for k in personal) >= 20 and set(kinds) == personal | {"health"}
    assert any("３" in d.text or "４" in d.text for d in CORPUS)  # full-width digits
    assert any("+86" in d.text for d in CORPUS) and any("（0" in d.text for d in CORPUS)


def test_recall_per_kind_and_nothing_public_removed():
    planted, caught, missed = Counter(), Counter(), []
    masked = beyond = 0
    for decision in CORPUS:
        result = redact(decision.text, Subjects(decision.party_name, decision.party_is_natural_person, decision.other_names))
        assert len(result.text) == len(decision.text)
        covered = {i for _, part in decision.expected for start in _occurrences(decision.text, part) for i in range(start, start + len(part))}
        masked += result.text.count(MASK)
        beyond += sum(1 for i, ch in enumerate(result.text) if ch == MASK and i not in covered)
        for kind, part in decision.expected:
            planted[kind] += 1
            if _masked(decision.text, result.text, part):
                caught[kind] += 1
            else:
                missed.append((kind, part))
        for part in decision.kept:
            assert part in result.text, (part, result.text)
    recall = {kind: caught[kind] / planted[kind] for kind in planted}
    print("redaction recall per kind:", {k: f"{v:.3f} ({caught[k]}/{planted[k]})" for k, v in sorted(recall.items())},
          f"masked beyond the planted data: {beyond}/{masked} characters")
    assert beyond <= masked * 0.005  # over-redaction costs the public the decision's substance
    assert recall["id_number"] == 1.0 and recall["phone"] == 1.0, missed
    assert recall["name"] == 1.0 and recall["bank_account"] == 1.0, missed
    assert recall["address"] >= 0.95 and recall["health"] == 1.0, missed


@pytest.mark.parametrize("text, kind", [
    ("身份证号340621199001011232，", "id_number"),          # no \b between 号 and 3
    ("身份证号３４０６２１１９９００１０１１２３２。", "id_number"),  # full width
    ("身份证号 340621 19900101 1232", "id_number"),          # spaced groups
    ("号码34062119900101123x", "id_number"),                 # lower-case x
    ("号码340621199001011234", "id_number"),                 # wrong check digit: still removed (low confidence)
    ("手机13812345678。", "phone"),
    ("电话：+86 138-1234-5678", "phone"),
    ("座机(0561)3012345", "phone"),
    ("电话3012345", "phone"),                                # bare local number after a label
    ("账号：6217 8560 0001 2345 678", "bank_account"),
    ("卡号6222020200112233445", "bank_account"),
])
def test_forms_that_trip_naive_rules(text, kind):
    result = redact(text, Subjects())
    assert any(s.kind == kind and s.removed for s in result.spans), result.spans
    assert not any(ch.isdigit() for ch in fold(result.text)), result.text


@pytest.mark.parametrize("text", [
    "罚款人民币30000元", "文号濉卫医罚〔2026〕12号", "于2026年9月24日作出", "统一社会信用代码91340600MA2N0ABCDT",
    "依据《医疗机构管理条例》第二十四条", "金额共计13812元", "编号20260924001",
])
def test_what_the_public_reads_stays(text):
    assert redact(text, Subjects(party_name="某诊所")).text == text


def test_health_terms_are_flagged_for_the_reviewer_not_removed():
    result = redact("患者经诊断为乙肝病毒携带者。", Subjects())
    assert result.text == "患者经诊断为乙肝病毒携带者。"
    assert result.needs_review and {s.kind for s in result.spans} == {"health"}


def test_the_party_keeps_its_name_and_an_organisations_address_is_public():
    text = "当事人：某某诊所，住所：濉溪县濉溪镇人民路8号。法定代表人张三，电话13812345678，家庭住址濉溪县濉溪镇淮海路18号。"
    result = redact(text, Subjects(party_name="某某诊所"))
    assert "某某诊所" in result.text and "人民路8号" in result.text and "张三" in result.text
    assert "淮海路18号" not in result.text and "13812345678" not in result.text
