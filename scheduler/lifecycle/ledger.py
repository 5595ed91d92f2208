"""Every write to the obligations' lifecycle, each with its audit entry.

Opening a case, recording a report or submission, requesting an ad-hoc report and materialising
periodic obligations all come through here (a units file through ``unit_import``). Each function
checks its input before writing and runs inside the caller's transaction, so a refused operation
writes nothing. The steps they share are in ``recording``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from scheduler.deadlines.obligations import adhoc, follow_ups, for_case, for_event, periodic
from scheduler.deadlines.rules import Role
from scheduler.deadlines.vntime import check_year, days_late, fmt_datetime
from scheduler.errors import Conflict, InvalidInput, NotFound
from scheduler.lifecycle.recording import (
    existing_today,
    insert_obligations,
    not_future,
    record_created,
    unit_named,
)
from scheduler.records import Obligation, Via
from scheduler.settings import Config
from scheduler.store.queries import Store

# Codes and labels, never free text: there is no place where a child's name could be written.
_CASE_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9/._-]{0,63}")
_CATEGORY = re.compile(r"[a-z0-9_]{1,40}")


@dataclass(frozen=True)
class Generated:
    created: int
    existing: int


def open_case(
    store: Store,
    config: Config,
    code: str,
    unit_code: str,
    category: str,
    verified_at: datetime,
    now: datetime,
    actor: str,
    *,
    backfill: bool = False,
) -> list[Obligation]:
    """Record a verified case; returns the obligations it creates (the urgent report first).

    A verification older than ``backfill_horizon_days`` is refused unless ``backfill`` says
    the case is recorded late on purpose: a mistyped year would flag the commune years late.
    """
    if not _CASE_CODE.fullmatch(code):
        raise InvalidInput(
            f"mã vụ việc {code!r} không hợp lệ: chỉ chữ không dấu, số và / - _ . (tối đa 64) / "
            "case code: letters, digits and / - _ . only. Không ghi tên trẻ em vào mã."
        )
    if not _CATEGORY.fullmatch(category):
        raise InvalidInput(
            f"loại vụ việc {category!r} không hợp lệ: một nhãn ngắn như xam_hai_tinh_duc / "
            "category: a short label of lowercase letters, digits and _"
        )
    not_future(verified_at, now, "thời điểm xác thực / verification time")
    if not backfill:
        _within_horizon(verified_at, now, config.backfill_horizon_days)
    unit = existing_today(unit_named(store, unit_code), now)
    new = for_case(config.rules, config.calendar, unit, code, verified_at)
    if not new:
        raise InvalidInput(
            f"đơn vị {unit_code} ({unit.kind}) không phải báo cáo vụ việc theo quy "
            "tắc / no case obligation applies to this kind of unit"
        )
    case_id = store.add_case(code, unit.code, category, verified_at, now)
    if case_id is None:
        raise Conflict(f"mã vụ việc {code!r} đã có / case code already recorded")
    store.audit(
        now,
        actor,
        "case_opened",
        case_code=code,
        unit=unit.code,
        category=category,
        verified_at=verified_at,
    )
    insert_obligations(store, config, new, now, case_id)
    return record_created(store, new, now, actor, code)


def submit(
    store: Store,
    config: Config,
    obligation_id: int,
    at: datetime,
    now: datetime,
    actor: str,
    *,
    via: Via,
    evidence: Mapping[str, object] | None = None,
) -> tuple[Obligation, list[Obligation]]:
    """Record a submission: its reminders stop at once; returns it and the follow-ups it starts.

    ``via`` says how hanbao learnt of it: the report mail itself, a link, the API or the CLI;
    ``evidence`` (the mail's Message-ID and SHA-256) goes into the audit entry."""
    obligation = store.obligation(obligation_id)
    if obligation is None:
        raise NotFound(f"không có nghĩa vụ / unknown obligation {obligation_id}")
    not_future(at, now, "thời điểm gửi / submission time")
    if at < obligation.event_at:
        raise InvalidInput(
            f"thời điểm gửi {fmt_datetime(at)} trước khi nghĩa vụ phát sinh "
            f"({fmt_datetime(obligation.event_at)}) / before the obligation began"
        )
    if not store.mark_submitted(obligation.id, at, via, now):
        raise Conflict(
            f"nghĩa vụ {obligation.id} đã được ghi nhận nộp lúc "
            f"{fmt_datetime(obligation.submitted_at or at)} / already submitted"
        )
    late = days_late(obligation.due_at, at)
    store.audit(
        now,
        actor,
        "submitted",
        obligation_id=obligation.id,
        case_code=obligation.case_code,
        submitted_at=at,
        days_late=late,
        via=via,
        **(evidence or {}),
    )
    unit = unit_named(store, obligation.unit)
    new = follow_ups(config.rules, config.calendar, unit, obligation.key, obligation.kind, at)
    case_id = store.case_id(obligation.case_code) if obligation.case_code else None
    insert_obligations(store, config, new, now, case_id)
    submitted = store.obligation(obligation.id)
    assert submitted is not None
    return submitted, record_created(store, new, now, actor, obligation.case_code)


# the words `case report --stage` takes for the parts the rules give a case's reports
STAGES: dict[str, Role] = {"urgent": "urgent_notice", "written": "written_follow_up"}


def case_event(
    store: Store,
    config: Config,
    case_code: str,
    event: str,
    event_at: datetime,
    now: datetime,
    actor: str,
) -> list[Obligation]:
    """Record an event on a case (``emergency_received``, ``child_removed``: the events the
    rules name); returns the obligations it starts. Recording it again changes nothing."""
    events = config.rules.case_events
    if event not in events:
        raise InvalidInput(
            f"sự kiện không có / unknown event {event!r}; dùng / use {', '.join(events)}"
        )
    not_future(event_at, now, "thời điểm sự kiện / the event's time")
    found = store.case_unit(case_code)
    if found is None:
        raise NotFound(f"không có vụ việc / unknown case {case_code!r}: mở trước / open it first")
    case_id, unit_code = found
    unit = existing_today(unit_named(store, unit_code), now)
    new = for_event(config.rules, config.calendar, unit, case_code, event, event_at)
    if not new:
        raise InvalidInput(
            f"đơn vị {unit.code} ({unit.kind}) không có nghĩa vụ nào cho {event} theo quy tắc / "
            "no obligation applies to this kind of unit"
        )
    if insert_obligations(store, config, new, now, case_id):
        store.audit(now, actor, "case_event", case_code=case_code, event=event, event_at=event_at)
        return record_created(store, new, now, actor, case_code)
    return [o for o in (store.obligation_by_key(n.key) for n in new) if o is not None]


def report_case(
    store: Store,
    config: Config,
    case_code: str,
    stage: str,
    at: datetime,
    now: datetime,
    actor: str,
    *,
    via: Via,
) -> tuple[Obligation, list[Obligation]]:
    """Record that the case's report was sent: ``stage`` is ``urgent``, ``written`` (the kinds
    that play those parts in the rules) or a kind id."""
    role = STAGES.get(stage)
    kind_id = config.rules.kind_for(role).id if role else config.rules.kind(stage).id
    obligation = store.obligation_by_key(f"case:{case_code}:{kind_id}")
    if obligation is None:
        if store.case_id(case_code) is None:
            raise NotFound(f"không có vụ việc / unknown case {case_code!r}")
        raise NotFound(
            f"vụ việc {case_code} chưa có nghĩa vụ {kind_id} (báo cáo trước đó chưa "
            "được ghi nhận?) / no such obligation yet"
        )
    return submit(store, config, obligation.id, at, now, actor, via=via)


def request_adhoc(
    store: Store,
    config: Config,
    unit_code: str,
    reference: str,
    due_at: datetime,
    requested_by: str,
    now: datetime,
    actor: str,
    kind_id: str | None = None,
) -> Obligation:
    """An ad-hoc report requested by a competent authority, due when that authority says; of
    the kind that plays ``adhoc_request`` in the rules unless ``kind_id`` names another."""
    rules = config.rules
    kind = rules.kind_for("adhoc_request") if kind_id is None else rules.kind(kind_id)
    if kind.trigger != "request":
        raise InvalidInput(f"loại {kind.id} không phải báo cáo theo yêu cầu / not a request kind")
    if due_at <= now:
        raise InvalidInput(f"hạn {fmt_datetime(due_at)} đã qua / the deadline is already past")
    # printable: a control character (NUL) cannot be stored on PostgreSQL, nor shown in a mail
    if not all(text.strip() and text.isprintable() for text in (reference, requested_by)):
        raise InvalidInput(
            "cần số/ký hiệu văn bản yêu cầu và cơ quan yêu cầu, là chữ in được / "
            "reference and requester are required, as printable text"
        )
    unit = existing_today(unit_named(store, unit_code), now)
    new = adhoc(kind, unit, reference, due_at, requested_by, now)
    if insert_obligations(store, config, [new], now) == 0:
        raise Conflict(f"yêu cầu {reference!r} cho {unit_code} đã có / request already recorded")
    return record_created(store, [new], now, actor)[0]


def generate_periodic(
    store: Store, config: Config, year: int, now: datetime, actor: str, *, ahead_only: bool = False
) -> Generated:
    """Materialise the periodic obligations of ``year`` for every unit; twice creates nothing.

    With ``ahead_only`` (the daemon, and ``simulate``) a period whose deadline has already
    passed is left out: installing hanbao in November must not flag every commune late for a
    June report it may well have sent on paper. Backfilling is the operator's explicit choice.
    """
    check_year(year)
    new = periodic(config.rules, list(store.units().values()), year)
    if ahead_only:
        new = [item for item in new if item.due_at > now]
    taken_over = store.moved_in({item.period for item in new if item.period})
    new = [
        item
        for item in new
        if not (
            item.kind.owed_by_successor and (item.unit, item.kind.id, item.period) in taken_over
        )
    ]
    stored = store.keys_in_periods({item.period for item in new})  # the hourly run: all of them
    missing = [item for item in new if item.key not in stored]
    created = insert_obligations(store, config, missing, now) if missing else 0
    if created:
        store.audit(now, actor, "periodic_generated", year=year, created=created)
    return Generated(created=created, existing=len(new) - created)


def _within_horizon(verified_at: datetime, now: datetime, days: int) -> None:
    if verified_at < now - timedelta(days=days):
        raise InvalidInput(
            f"thời điểm xác thực {fmt_datetime(verified_at)} cũ hơn {days} ngày / the "
            f"verification time is more than {days} days ago (backfill_horizon_days): kiểm tra "
            "lại ngày; nếu thật sự nhập bù vụ việc cũ, thêm --backfill / check the date; to "
            'record an old case on purpose, add --backfill (API: "backfill": true)'
        )


def require_unit(store: Store, code: str) -> None:
    """Refuse an unknown unit code, e.g. a filter that would otherwise just match nothing."""
    unit_named(store, code)
