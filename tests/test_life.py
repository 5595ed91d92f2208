"""When a unit exists, who answers for it, and who owes a period: plain values, no database."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from scheduler.hierarchy.life import answering, exists_on, loops, owes_period, tree_on
from scheduler.hierarchy.units import Unit

JUNE_30, JULY_1 = date(2025, 6, 30), date(2025, 7, 1)
H1 = (date(2025, 1, 1), JUNE_30)
YEAR = (date(2025, 1, 1), date(2025, 12, 31))


def unit(code: str, **life: object) -> Unit:
    return Unit(code, code, "commune", "H01", f"{code.lower()}@x.example", {}, **life)  # type: ignore[arg-type]


MERGED = {
    "X01": unit("X01", valid_to=JUNE_30, successor="X20"),
    "X20": unit("X20", valid_from=JULY_1, valid_to=date(2026, 3, 31), successor="X30"),
    "X30": unit("X30", valid_from=date(2026, 4, 1)),
    "X02": unit("X02", valid_to=date(2025, 3, 31)),  # dissolved, nobody takes over
}


def test_a_unit_exists_from_its_first_to_its_last_day_both_included() -> None:
    x20 = MERGED["X20"]
    assert not exists_on(x20, JUNE_30)
    assert exists_on(x20, JULY_1) and exists_on(x20, date(2026, 3, 31))
    assert not exists_on(x20, date(2026, 4, 1))


def test_the_answering_unit_follows_the_chain_of_successors() -> None:
    assert answering("X01", MERGED, JUNE_30) == "X01"
    assert answering("X01", MERGED, JULY_1) == "X20"
    assert answering("X01", MERGED, date(2026, 4, 1)) == "X30"
    assert answering("X02", MERGED, date(2025, 4, 1)) is None


def test_a_loop_of_successors_is_seen() -> None:
    looped = {
        "A": unit("A", valid_to=JUNE_30, successor="B"),
        "B": unit("B", valid_to=JUNE_30, successor="A"),
    }
    assert loops("A", looped) and not loops("X01", MERGED)
    assert answering("A", looped, JULY_1) is None


def test_a_unit_closed_on_the_deadline_day_owes_that_period() -> None:
    assert owes_period(MERGED["X01"], *H1, MERGED, owed_by_successor=True)


def test_a_unit_closed_before_the_deadline_leaves_the_period_to_its_successor() -> None:
    assert not owes_period(MERGED["X01"], *YEAR, MERGED, owed_by_successor=True)
    assert owes_period(MERGED["X20"], *YEAR, MERGED, owed_by_successor=True)
    # unless the rules say both report
    assert owes_period(MERGED["X01"], *YEAR, MERGED, owed_by_successor=False)


def test_a_unit_that_opens_mid_period_owes_it_and_one_not_yet_open_does_not() -> None:
    assert not owes_period(MERGED["X20"], *H1, MERGED, owed_by_successor=True)
    assert owes_period(MERGED["X30"], date(2026, 1, 1), date(2026, 6, 30), MERGED, True)


def test_a_dissolved_unit_owes_nothing_after_its_end() -> None:
    assert not owes_period(MERGED["X02"], *H1, MERGED, owed_by_successor=False)


@given(
    start=st.dates(date(2024, 1, 1), date(2027, 12, 31)),
    length=st.integers(0, 400),
    valid_from=st.none() | st.dates(date(2024, 1, 1), date(2027, 12, 31)),
    life=st.none() | st.integers(0, 800),
)
def test_a_unit_that_never_exists_in_a_period_never_owes_it(
    start: date, length: int, valid_from: date | None, life: int | None
) -> None:
    end = start + timedelta(days=length)
    valid_to = None if life is None else (valid_from or date(2024, 1, 1)) + timedelta(days=life)
    u = unit("U", valid_from=valid_from, valid_to=valid_to)
    days = (start + timedelta(days=n) for n in range(length + 1))
    if not any(exists_on(u, day) for day in days):
        assert not owes_period(u, start, end, {"U": u}, owed_by_successor=False)


def test_the_tree_of_a_day_uses_the_parent_the_unit_had_then() -> None:
    units = {
        "X04": Unit("X04", "X04", "commune", "T01", "x04@x.example"),
        "X20": unit("X20", valid_from=JULY_1),
    }
    earlier = [("X04", "H01", JUNE_30)]
    assert tree_on(units, earlier, JUNE_30)["X04"].parent == "H01"
    assert "X20" not in tree_on(units, earlier, JUNE_30)
    assert tree_on(units, earlier, JULY_1)["X04"].parent == "T01"
