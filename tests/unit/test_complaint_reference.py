"""The complaint reference number (投诉编号): read back however typed, refused with any one character wrong or two
neighbours swapped (the check character), before the database is asked."""

import pytest

from recording_service.complaints.reference import ALPHABET, canonical, new_reference, shown
from recording_service.complaints.reference import _check_character as canonical_check


@pytest.mark.parametrize("typo", [0, 5, 11])
def test_a_reference_read_back_with_one_character_wrong_is_refused(typo):
    reference = new_reference()
    assert canonical(shown(reference)) == reference and canonical(reference.lower()) == reference
    wrong = reference[:typo] + ("1" if reference[typo] != "1" else "2") + reference[typo + 1 :]
    assert canonical(wrong) is None
    swapped = reference[:typo] + reference[typo + 1] + reference[typo] + reference[typo + 2 :]
    blind_pair = {reference[typo], reference[typo + 1]} == {"0", "Z"}  # Luhn mod 32 cannot see 0 and Z swapped
    assert swapped == reference or blind_pair or canonical(swapped) is None


def test_every_neighbour_swap_but_luhns_blind_pair_is_caught():
    body = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"[:12]
    for first in ALPHABET:
        for second in ALPHABET:
            if first == second or {first, second} == {"0", "Z"}:
                continue
            code = first + second + body[2:]
            reference = code + canonical_check(code)
            assert canonical(reference) == reference
            assert canonical(second + first + reference[2:]) is None


def test_references_are_random_and_in_the_alphabet():
    references = {new_reference() for _ in range(1000)}
    assert len(references) == 1000 and all(len(r) == 13 and set(r) <= set(ALPHABET) for r in references)
    assert all(any(ch.isdigit() for ch in r[:-1]) for r in references)  # read as a number, never as a word
    reference = next(iter(references))
    typed = shown(reference).replace("0", "o").replace("1", "l")  # O read as 0, L as 1
    assert canonical(typed) == reference and canonical(" " + shown(reference).lower() + " ") == reference
