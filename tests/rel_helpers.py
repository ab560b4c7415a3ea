"""Helpers shared by the reliability tests (imported as ``rel_helpers``; tests/conftest.py
puts this folder on the path)."""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
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




# ------------------------------------------------------------------ processes, from /proc
def _proc_table() -> dict[int, tuple[int, str]]:
    """{pid: (ppid, state)} of every process."""
    import os

    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = Path(f"/proc/{d}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()   # comm may hold spaces and parentheses
        out[int(d)] = (int(fields[1]), fields[0])
    return out


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return "?"


def descendants(pid: int) -> dict[int, str]:
    """Live (non-zombie) descendants of ``pid``: {pid: command line}."""
    table = _proc_table()
    found, frontier = {}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, (ppid, state) in table.items():
            if ppid == parent and child not in found:
                frontier.append(child)
                if state != "Z":
                    found[child] = cmdline(child)
    return found


def workers(pid: int) -> dict[int, str]:
    """Descendants of ``pid`` except multiprocessing's forkserver and resource tracker (direct
    children that stay by design). Pool workers forked by the forkserver keep its command line,
    so they are told apart by their parent: the forkserver's children are counted."""
    table = _proc_table()
    found = descendants(pid)
    helpers = {p for p, c in found.items() if table.get(p, (None,))[0] == pid
               and ("forkserver" in c or "resource_tracker" in c)}
    return {p: c for p, c in found.items() if p not in helpers}


def wait_no_workers(pid: int, before=(), timeout: float = 30.0) -> dict[int, str]:
    """Wait until ``pid`` has no worker processes beyond ``before``; return those left."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        left = {p: c for p, c in workers(pid).items() if p not in set(before)}
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)
