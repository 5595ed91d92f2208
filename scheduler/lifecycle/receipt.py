"""The receiving unit's word on a submission: "Đã nhận" confirms it, "Chưa nhận được" disputes it.

The unit that receives a report (the parent of the unit that owes it) is the party whose word
counts. A confirmation is kept beside the submission; a dispute undoes it: the obligation is open
again, its reminders resume, and it is late or not by its deadline, exactly as before it was
recorded. Both are audited with who and when. A dispute's reason comes from a fixed list: there
is no place to write anything about the child.
"""

from __future__ import annotations

from datetime import datetime

from scheduler.deadlines.plan import occurrences
from scheduler.deadlines.vntime import fmt_datetime
from scheduler.errors import Conflict, InvalidInput, NotFound
from scheduler.records import DISPUTE_REASONS as DISPUTE_REASONS  # its home; read here too
from scheduler.records import Obligation, Via
from scheduler.settings import Config
from scheduler.store.queries import Store

_SELF_DECLARED: dict[Via | None, str] = {
    "link": " (qua liên kết)",
    "api": " (qua API)",
    "cli": " (ghi bằng dòng lệnh)",
}


def _submitted(store: Store, config: Config, obligation_id: int) -> Obligation:
    obligation = store.obligation(obligation_id)
    if obligation is None:
        raise NotFound(f"không có nghĩa vụ / unknown obligation {obligation_id}")
    kind = config.rules.kinds.get(obligation.kind)
    if kind is not None and not kind.reported_upward:
        raise InvalidInput(
            f"nghĩa vụ {obligation_id} ({kind.id}) không gửi lên cấp trên: cấp trên không xác "
            "nhận hay báo chưa nhận / this report does not go to the parent unit, which has "
            "nothing to confirm or dispute"
        )
    if obligation.submitted_at is None:
        raise Conflict(
            f"nghĩa vụ {obligation_id} chưa được ghi nhận nộp: không có gì để xác nhận / "
            "no submission is recorded for it"
        )
    return obligation


def confirm(
    store: Store, config: Config, obligation_id: int, now: datetime, actor: str
) -> Obligation:
    """The receiving unit has the report. Confirming twice changes nothing."""
    obligation = _submitted(store, config, obligation_id)
    if store.confirm(obligation_id, now, actor):
        store.audit(
            now,
            actor,
            "submission_confirmed",
            obligation_id=obligation_id,
            case_code=obligation.case_code,
            via=obligation.submitted_via,
        )
    confirmed = store.obligation(obligation_id)
    assert confirmed is not None
    return confirmed


def dispute(
    store: Store, config: Config, obligation_id: int, reason: str, now: datetime, actor: str
) -> Obligation:
    """The receiving unit does not have the report: the submission is undone and the reminders
    resume (every occurrence since the ladder began is looked at again; those already recorded
    stay recorded once, a late flag due by now is recorded at the next sweep)."""
    if reason not in DISPUTE_REASONS:
        allowed = "; ".join(f"{key} ({text})" for key, text in DISPUTE_REASONS.items())
        raise InvalidInput(
            f"--reason: lý do không có trong danh sách / unknown reason {reason!r}; "
            f"dùng một trong / use one of: {allowed}"
        )
    obligation = _submitted(store, config, obligation_id)
    assert obligation.submitted_at is not None
    kind = config.rules.kinds.get(obligation.kind)
    occs = (
        occurrences(
            kind,
            obligation.due_at,
            obligation.created_at,
            config.calendar,
            config.rules.reminder_time,
        )
        if kind
        else []
    )
    resume_at = occs[0].at if occs else now
    if not store.reopen(obligation_id, obligation.submitted_at, resume_at, now):
        raise Conflict(
            f"nghĩa vụ {obligation_id} vừa thay đổi; thử lại / changed meanwhile, try again"
        )
    store.audit(
        now,
        actor,
        "submission_disputed",
        obligation_id=obligation_id,
        case_code=obligation.case_code,
        reason=reason,
        submitted_at=obligation.submitted_at,
        via=obligation.submitted_via,
        was_confirmed=obligation.confirmed_at is not None,
    )
    disputed = store.obligation(obligation_id)
    assert disputed is not None
    return disputed


def describe(obligation: Obligation) -> str:
    """How leaders read a submission's standing, in Vietnamese."""
    if obligation.submitted_at is None:
        if obligation.disputed_at is not None:
            return f"Cấp trên chưa nhận được ({fmt_datetime(obligation.disputed_at)})"
        return ""
    if obligation.confirmed_at is not None:
        return f"Cấp trên đã xác nhận đã nhận ({fmt_datetime(obligation.confirmed_at)})"
    if obligation.submitted_via == "mail":
        return "Đã thấy thư báo cáo"
    return "Đơn vị tự báo đã gửi" + _SELF_DECLARED.get(obligation.submitted_via, "")
