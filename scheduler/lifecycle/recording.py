"""The steps every write of the obligations' lifecycle shares.

A unit as it stands (known, and open on the day), a moment that is not in the future, new
obligations inserted with their first action, and an audit entry for each one created. They
run inside the caller's transaction, like the writes that use them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from scheduler.deadlines.obligations import NewObligation
from scheduler.deadlines.plan import occurrences
from scheduler.deadlines.vntime import fmt_date, fmt_datetime
from scheduler.errors import InvalidInput, NotFound
from scheduler.hierarchy.life import closed_on, exists_on
from scheduler.hierarchy.units import Unit
from scheduler.records import Obligation
from scheduler.settings import Config
from scheduler.store.queries import Store


def unit_named(store: Store, code: str) -> Unit:
    """The stored unit with this code; not found names the command that lists them."""
    unit = store.units([code]).get(code)
    if unit is None:
        raise NotFound(f"không có đơn vị / unknown unit {code!r}: xem `hanbao units list`")
    return unit


def existing_today(unit: Unit, now: datetime) -> Unit:
    """The unit, if it exists today: a closed one takes no new obligation."""
    if exists_on(unit, now.date()):
        return unit
    if closed_on(unit, now.date()):
        assert unit.valid_to is not None
        heir = f" (nay thuộc {unit.successor})" if unit.successor else ""
        raise InvalidInput(
            f"đơn vị {unit.code} hết hiệu lực sau {fmt_date(unit.valid_to)}{heir} / the unit "
            "has closed: dùng đơn vị đang có hiệu lực / use the unit that took over"
        )
    assert unit.valid_from is not None
    raise InvalidInput(
        f"đơn vị {unit.code} có hiệu lực từ {fmt_date(unit.valid_from)} / the unit does not "
        "exist yet"
    )


def not_future(moment: datetime, now: datetime, what: str) -> None:
    """Refuse ``what`` (a verification, a submission, an event) said to happen after ``now``."""
    if moment > now:
        raise InvalidInput(
            f"{what} {fmt_datetime(moment)} ở tương lai / is in the future "
            f"(bây giờ là {fmt_datetime(now)})"
        )


def insert_obligations(
    store: Store,
    config: Config,
    new: Sequence[NewObligation],
    now: datetime,
    case_id: int | None = None,
) -> int:
    rows = []
    for item in new:
        occs = occurrences(item.kind, item.due_at, now, config.calendar, config.rules.reminder_time)
        rows.append(
            {
                "key": item.key,
                "kind": item.kind.id,
                "unit": item.unit,
                "case_id": case_id,
                "period": item.period,
                "requested_by": item.requested_by,
                "event_at": item.event_at,
                "due_at": item.due_at,
                "created_at": now,
                "submitted_at": None,
                "next_action_at": occs[0].at if occs else None,
                "moved_from": item.moved_from,
            }
        )
    return store.add_obligations(rows)


def record_created(
    store: Store,
    new: Sequence[NewObligation],
    now: datetime,
    actor: str,
    case_code: str | None = None,
) -> list[Obligation]:
    result = []
    for item in new:
        obligation = store.obligation_by_key(item.key)
        assert obligation is not None, item.key
        store.audit(
            now,
            actor,
            "obligation_created",
            obligation_id=obligation.id,
            case_code=case_code,
            kind=item.kind.id,
            due_at=item.due_at,
        )
        result.append(obligation)
    return result
