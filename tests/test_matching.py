"""The pure part of the intake: reading header blocks and deciding what a mail answers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from scheduler.intake.headers import header_block, read_headers
from scheduler.intake.matching import Candidate, Decision, codes_in, decide, folded, kinds_named
from tests.conftest import vn

PHRASES = {
    "six_monthly": ["báo cáo 6 tháng", "báo cáo sáu tháng"],
    "annual": ["báo cáo năm"],
    "sector_annual": ["báo cáo năm của ngành"],
}


def test_phrasing_ignores_case_and_accents_and_the_longest_phrase_wins() -> None:
    assert folded("Báo  cáo SÁU tháng: Đồng Tiến") == "bao cao sau thang: dong tien"
    assert kinds_named("BAO CAO 6 THANG dau nam 2027", PHRASES) == {"six_monthly"}
    assert kinds_named("Báo cáo năm của ngành Y tế 2026", PHRASES) == {"sector_annual"}
    assert kinds_named("Báo cáo năm 2026", PHRASES) == {"annual"}
    assert kinds_named("Báo cáo 6 tháng và báo cáo năm", PHRASES) == {"six_monthly", "annual"}
    assert kinds_named("Giấy mời họp", PHRASES) == set()


def test_codes_are_the_words_that_could_be_codes() -> None:
    assert codes_in("Re: [KHẨN] Báo cáo VV-2027-001. Theo CV 123/UBND-VP,") == [
        "Re",
        "KH",
        "VV-2027-001",
        "Theo",
        "CV",
        "123/UBND-VP",
    ]


def test_a_decision_needs_one_open_obligation_of_the_senders_unit() -> None:
    x01_open, x01_done = Candidate(1, "X01", True), Candidate(2, "X01", False)
    x02_open = Candidate(3, "X02", True)
    assert decide([], {"X01"}) == Decision("unmatched")
    assert decide([x01_open], {"X01"}) == Decision("matched", 1)
    assert decide([x01_open, x01_done], {"X01"}) == Decision("matched", 1)
    assert decide([x01_open], {"X02"}) == Decision("stranger")
    assert decide([x01_open], set()) == Decision("stranger")
    assert decide([x01_done], {"X01"}) == Decision("already", 2)
    assert decide([x01_open, Candidate(4, "X01", True)], {"X01"}) == Decision("ambiguous")
    assert decide([x01_open, x02_open], {"X01", "X02"}) == Decision("ambiguous")


def test_headers_are_read_from_the_header_block_only() -> None:
    raw = (
        b"Received: from mx by intake; Tue, 16 Feb 2027 09:03:00 +0700\r\n"
        b"Received: from a by mx; Tue, 16 Feb 2027 09:01:00 +0700\r\n"
        b"From: =?utf-8?q?C=C3=A1n_b=E1=BB=99?= <TreEm@AnBinh.Example>\r\n"
        b"To: a@x.example, B@X.example\r\nCc: c@x.example\r\n"
        b"Subject: =?utf-8?b?QsOhbyBjw6FvIFZWLTIwMjctMDAx?=\r\n"
        b"Message-ID: <m1@anbinh.example>\r\nIn-Reply-To: <r1@h>\r\n"
        b"References: <r0@h>\r\n <r1@h>\r\n"
        b"\r\nSubject: not a header: the body\r\n"
    )
    headers = read_headers(raw)
    assert headers.message_id == "<m1@anbinh.example>"
    assert headers.references == ("<r1@h>", "<r0@h>")
    assert headers.sender == "treem@anbinh.example"
    assert headers.subject == "Báo cáo VV-2027-001"
    assert headers.received_at == vn("16/02/2027 09:03")  # the topmost: the last server's
    assert headers.recipients == ("a@x.example", "b@x.example", "c@x.example")
    assert header_block(raw).endswith(b"<r1@h>")


def test_two_senders_or_none_is_no_sender() -> None:
    assert read_headers(b"From: a@x.example, b@x.example\r\n\r\n").sender is None
    assert read_headers(b"From: nobody\r\n\r\n").sender is None


@given(st.binary(max_size=2000))
def test_any_bytes_at_all_are_read_without_an_exception(raw: bytes) -> None:
    headers = read_headers(raw)
    assert headers.subject == " ".join(headers.subject.split())
    assert all(c.isprintable() for c in headers.subject)
