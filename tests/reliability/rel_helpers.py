"""Helpers shared by the reliability tests (imported as ``rel_helpers``; see conftest.py)."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "artifacts" / "reliability" / "figures.json"

CASES: Counter = Counter()     # generated (hypothesis) cases per test
FIGURES: dict = {}             # other figures, by topic

# Messages numpy / scipy / Python raise by themselves: a user must never see only these.
BARE = [
    r"operands could not be broadcast", r"setting an array element with a sequence",
    r"matrix contains invalid numeric entries", r"could not convert", r"math domain error",
    r"index \d+ is out of bounds", r"division by zero", r"array must not contain infs or NaNs",
    r"cannot reshape array", r"shapes .* not aligned", r"matmul: Input operand",
    r"zero-size array to reduction", r"invalid literal for int", r"Numerical result out of range",
    r"not enough values to unpack", r"truth value of an array",
]


def assert_clear(exc: BaseException, *names: str) -> None:
    """``exc`` is a ValueError whose message is a sentence naming the problem.

    ``names``: words of which at least one must appear (the argument(s) at fault)."""
    assert isinstance(exc, ValueError), f"{type(exc).__name__} instead of ValueError: {exc}"
    msg = str(exc)
    for pat in BARE:
        assert not re.search(pat, msg, re.I), f"bare numpy/scipy message: {msg!r}"
    assert len(msg.split()) >= 5, f"message too short to explain anything: {msg!r}"
    if names:
        assert any(n.lower() in msg.lower() for n in names), \
            f"message names none of {names}: {msg!r}"


def count(name: str, n: int = 1) -> None:
    CASES[name] += n


