"""The reference number (投诉编号) a complainant keeps: 12 random characters of Crockford's base 32 (60 bits: not
guessed within any rate limit) and a check character (Luhn mod 32), which catches any one character mistyped and
any two neighbours swapped — but for 0 and Z side by side, Luhn's one blind pair (values 0 and 31) — before the
database is asked. (The check cannot change now: references already handed out carry it.) Shown as TS-XXXX-XXXX-XXXXX; read back whatever the case,
spacing or hyphens, with O read as 0 and I or L as 1."""

import hashlib
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
RANDOM_CHARACTERS = 12
PREFIX = "TS"  # 投诉
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _check_character(body: str) -> str:
    """Luhn mod N over the alphabet: the character that makes the whole code's sum divisible by 32."""
    base = len(ALPHABET)
    total, factor = 0, 2
    for character in reversed(body):
        addend = factor * ALPHABET.index(character)
        total += addend // base + addend % base
        factor = 1 if factor == 2 else 2
    return ALPHABET[(base - total % base) % base]


def new_reference() -> str:
    """A fresh reference in its canonical form (13 characters, no prefix or hyphens). It always holds a digit, so it
    reads as a number, never as a word (one in a hundred would not: drawn again)."""
    while True:
        body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_CHARACTERS))
        if any(ch.isdigit() for ch in body):
            return body + _check_character(body)


def canonical(typed: str) -> str | None:
    """The canonical form of a reference as typed, or None when it cannot be one (wrong length, a character outside
    the alphabet, a check character that does not match)."""
    text = "".join(ch for ch in typed.upper() if ch not in " -_\u3000").translate(_READ_AS)
    if text.startswith(PREFIX) and len(text) == RANDOM_CHARACTERS + 1 + len(PREFIX):
        text = text[len(PREFIX) :]
    if len(text) != RANDOM_CHARACTERS + 1 or any(ch not in ALPHABET for ch in text):
        return None
    return text if _check_character(text[:-1]) == text[-1] else None


def shown(reference: str) -> str:
    """How the reference is printed for people: TS-7K4M-Q2XD-9HBNR."""
    return f"{PREFIX}-{reference[:4]}-{reference[4:8]}-{reference[8:]}"


def reference_hash(reference: str) -> str:
    """What the database keeps to find a complaint by its reference."""
    return hashlib.sha256(f"complaint-reference:{reference}".encode()).hexdigest()
