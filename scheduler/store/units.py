"""Units and their contacts: reading them as values, saving a units file, and their history.

A national file is 200,000 rows: units are read as plain rows (no ORM objects) and written
with set-based upserts, in slices.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import SQLModel, col, delete, select, update

from scheduler.hierarchy.units import Unit
from scheduler.store import bulk
from scheduler.store.base import Queries, slices
from scheduler.store.schema import UnitParentRow, UnitRow

_UNIT = SQLModel.metadata.tables["unit"]
_CONTACT = SQLModel.metadata.tables["contact"]
_UNIT_PARENT = SQLModel.metadata.tables["unit_parent"]
_BOUND_ONE_BY_ONE = 100
_UNIT_COLUMNS = ("code", "name", "kind", "parent", "email", "valid_from", "valid_to", "successor")


class UnitQueries(Queries):
    def units(
        self, codes: Iterable[str] | None = None, *, excluding: Collection[str] = ()
    ) -> dict[str, Unit]:
        """Units with their contacts: those of ``codes``, or all but ``excluding`` (an import
        of a national file needs only the stored units that the file does not restate)."""
        query = select(*(_UNIT.c[c] for c in _UNIT_COLUMNS))
        contacts = select(_CONTACT.c.unit, _CONTACT.c.role, _CONTACT.c.address)
        wanted = None if codes is None else set(codes)
        if wanted is not None:
            # a few codes bound one by one, so the planner looks each up; more (a composed
            # slice asks for thousands) as one parameter, which costs nothing to compile
            listed: Any = sorted(wanted)
            if len(wanted) > _BOUND_ONE_BY_ONE:
                listed = bulk.listed(self.session.get_bind().dialect.name, listed, str)
            query = query.where(_UNIT.c.code.in_(listed))
            contacts = contacts.where(_CONTACT.c.unit.in_(listed))

        def kept(code: str) -> bool:
            return code not in excluding and (wanted is None or code in wanted)

        connection = self.session.connection()
        by_unit: dict[str, dict[str, list[str]]] = {}
        # .all(): one fetch for all rows (row by row, psycopg's fetch was a tenth of a slice)
        for unit, role, address in connection.execute(contacts.order_by(_CONTACT.c.id)).all():
            if kept(unit):
                by_unit.setdefault(unit, {}).setdefault(role, []).append(address)
        found = {}
        for code, name, kind, parent, email, valid_from, valid_to, successor in connection.execute(
            query.order_by(_UNIT.c.code)
        ).all():
            if kept(code):
                found[code] = Unit(
                    code,
                    name,
                    kind,
                    parent,
                    email,
                    {role: tuple(a) for role, a in by_unit.get(code, {}).items()},
                    valid_from,
                    valid_to,
                    successor,
                )
        return found

    def units_owing(
        self, known: dict[str, Unit], codes: Collection[str], *, wave: bool = False
    ) -> dict[str, Unit]:
        """``known``, completed with the units of ``codes`` and their parents that it lacks,
        read by their codes; or, for a ``wave`` (a full batch, owed by most units) when nothing
        is known yet, every unit at once (two statements), to keep for the wave's batches."""
        if wave and not known:
            known.update(self.units())
        if missing := set(codes) - known.keys():
            known.update(self.units(missing))
        owing = (known[code] for code in codes if code in known)
        if missing := {unit.parent for unit in owing if unit.parent} - known.keys():
            known.update(self.units(missing))
        return known

    def units_with_contact(self, role: str) -> list[str]:
        """The codes of the units with a contact in ``role`` (the operators: ``admin``)."""
        found = self.session.connection().execute(
            select(_CONTACT.c.unit).where(_CONTACT.c.role == role).distinct()
        )
        return sorted(found.scalars())

    def save_units(self, units: Sequence[Unit], today: date) -> None:
        """Insert or update units (parents first) and replace their contacts, in set-based
        statements (a national file is 200,000 rows).

        A unit whose parent changes keeps the old one in its history until yesterday; what
        hanbao itself recorded about a unit (when its closing was applied) is left alone.
        """
        pending = {u.code: u for u in units}
        ordered: list[Unit] = []
        while pending:
            ready = [u for u in pending.values() if u.parent not in pending]
            ordered.extend(ready)
            for unit in ready:
                del pending[unit.code]
        connection = self.session.connection()
        insert = self.insert(_UNIT)
        upsert = insert.on_conflict_do_update(
            index_elements=["code"], set_={c: insert.excluded[c] for c in _UNIT_COLUMNS[1:]}
        )
        for chunk in slices(ordered):
            codes = [u.code for u in chunk]
            before = select(_UNIT.c.code, _UNIT.c.parent).where(_UNIT.c.code.in_(codes))
            parents = {u.code: u.parent for u in chunk}
            moved = [
                {"unit": code, "parent": parent, "until": today - timedelta(days=1)}
                for code, parent in connection.execute(before)
                if parents[code] != parent
            ]
            if moved:
                connection.execute(_UNIT_PARENT.insert(), moved)
            connection.execute(upsert, [{c: getattr(u, c) for c in _UNIT_COLUMNS} for u in chunk])
            connection.execute(delete(_CONTACT).where(_CONTACT.c.unit.in_(codes)))
            contacts = [
                {"unit": u.code, "role": role, "address": address}
                for u in chunk
                for role, addresses in u.contacts.items()
                for address in addresses
            ]
            if contacts:
                connection.execute(_CONTACT.insert(), contacts)

    def earlier_parents(self) -> list[tuple[str, str | None, date]]:
        """(unit, parent, until) of every parent a unit had before its present one."""
        rows = self.session.exec(select(UnitParentRow).order_by(col(UnitParentRow.id)))
        return [(r.unit, r.parent, r.until) for r in rows]

    def units_to_close(self, today: date) -> list[str]:
        """Units whose last day has passed and whose closing hanbao has not applied yet; on
        PostgreSQL locked, skipping those another sweep is closing (replicas close each once)."""
        return list(
            self.session.exec(
                select(UnitRow.code)
                .where(col(UnitRow.closed_at).is_(None))
                .where(col(UnitRow.valid_to) < today)
                .order_by(col(UnitRow.valid_to), col(UnitRow.code))
                .with_for_update(skip_locked=True)
            )
        )

    def mark_closed(self, code: str, at: datetime) -> None:
        self.session.exec(update(UnitRow).where(col(UnitRow.code) == code).values(closed_at=at))

    def reparent(self, code: str, parent: str, until: date) -> None:
        """Give ``code`` a new parent; the old one stays in its history until ``until``."""
        row = self.session.get(UnitRow, code)
        assert row is not None, code
        self.session.add(UnitParentRow(unit=code, parent=row.parent, until=until))
        row.parent = parent
        self.session.add(row)
        self.session.flush()
