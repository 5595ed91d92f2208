"""Which obligation a report mail answers, from what its headers say. Pure.

In this order: a reference to one of hanbao's own mails (a reply to a reminder); else a code in
the subject (a case code, or an ad-hoc request's reference); else a kind's phrasing and a year
in the subject ("Báo cáo 6 tháng đầu năm 2027"). The sender must be a current contact of the
unit that owes: a mail from anyone else changes nothing, and neither does one that fits several
open obligations. Those are listed for a person to decide ("thư chưa khớp").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

Outcome = Literal["matched", "already", "unmatched", "ambiguous", "stranger", "early"]
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9/._-]{1,63}")
_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")


@dataclass(frozen=True)
class Candidate:
    """An obligation the mail may answer, as the store sees it now."""

    obligation_id: int
    unit: str
    open: bool


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    obligation_id: int | None = None


def codes_in(subject: str) -> list[str]:
    """Every word of the subject that could be a code, as written (the store says which are)."""
    return list(dict.fromkeys(t.rstrip("./_-") for t in _TOKEN.findall(subject)))


def folded(text: str) -> str:
    """Lower case, without accents, single-spaced: "Báo cáo  SÁU tháng" → "bao cao sau thang"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.lower().split())


def kinds_named(subject: str, phrases: Mapping[str, Iterable[str]]) -> set[str]:
    """The kinds whose phrasing the subject contains; a phrase inside a longer matched one
    ("báo cáo năm" inside "báo cáo năm của ngành") does not count."""
    text = folded(subject)
    found = {
        (kind, folded(phrase))
        for kind, kind_phrases in phrases.items()
        for phrase in kind_phrases
        if folded(phrase) in text
    }
    longest = {
        kind
        for kind, phrase in found
        if not any(phrase != other and phrase in other for _, other in found)
    }
    return longest


def years_in(subject: str) -> list[int]:
    return [int(y) for y in dict.fromkeys(_YEAR.findall(subject))]


def decide(candidates: Iterable[Candidate], sender_units: set[str]) -> Decision:
    """The outcome for the obligations one rule found: one open obligation of the sender's unit
    is a match; none at all, several, or only another unit's are not."""
    found = list({c.obligation_id: c for c in candidates}.values())
    if not found:
        return Decision("unmatched")
    own = [c for c in found if c.unit in sender_units]
    if not own:
        return Decision("stranger")
    still_open = [c for c in own if c.open]
    if len(still_open) == 1:
        return Decision("matched", still_open[0].obligation_id)
    if not still_open:
        return Decision("already", own[0].obligation_id if len(own) == 1 else None)
    return Decision("ambiguous")
