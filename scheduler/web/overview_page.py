"""The leaders' overview (``/overview``): server-rendered, Vietnamese, readable on a phone,
behind the login of ``scheduler.web.pages``; each unit's history and the overdue exports."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import time, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from scheduler.deadlines.vntime import at, fmt_datetime, month_of, months_ending
from scheduler.lifecycle import receipt
from scheduler.records import Obligation
from scheduler.reports import overdue as report
from scheduler.store.overview import Branch
from scheduler.store.queries import transaction
from scheduler.web.access import reach
from scheduler.web.pages import Viewer, page, polite
from scheduler.web.services import services

TREND_MONTHS = 12  # the leaders' trend of late flags: calendar months, this one last
# More rows than a province has on a bad morning, and the page counts them per parent unit
# (worst first, each a link to its own list) instead of listing a whole country's.
LISTED = 300
SUBMITTED_SHOWN = 200  # the newest submissions listed; the rest are counted


@dataclass(frozen=True)
class ParentLine:
    """One parent unit's line in the summary: its units' overdue and due-soon reports."""

    code: str
    overdue: int
    due_soon: int
    units: int


def by_parent(counts: dict[str, tuple[int, int]], units: dict[str, Branch]) -> list[ParentLine]:
    """Per-unit counts (overdue, due soon) summed per parent unit, the most overdue first."""
    overdue: Counter[str] = Counter()
    due_soon: Counter[str] = Counter()
    owing: Counter[str] = Counter()
    for unit, (late, soon) in counts.items():
        parent = units[unit].parent or ""
        overdue[parent] += late
        due_soon[parent] += soon
        owing[parent] += 1
    lines = [ParentLine(code, overdue[code], due_soon[code], owing[code]) for code in owing]
    return sorted(lines, key=lambda line: (-line.overdue, -line.due_soon, line.code))


def router() -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    @pages.get("/overview", response_class=HTMLResponse, response_model=None)
    def overview(
        request: Request, who: Viewer, parent: str | None = None, kind: str | None = None
    ) -> HTMLResponse | Response:
        parent, kind = parent or None, kind or None  # the form's "Tất cả" sends them empty
        shared = services(request)
        now = shared.clock.now()
        months = months_ending(now, TREND_MONTHS)
        soon = now + timedelta(days=7)
        week_ago = now - timedelta(days=7)
        with transaction(shared.engine) as store:
            # a leader's or supervisor's page needs their part of the tree; reach decides
            narrow = who.role in ("leader", "supervisor")
            units = store.subtree(who.unit) if narrow else store.unit_tree()
            reached = reach(who, units)
            scope = None if who.role == "admin" else reached
            shown = scope if parent is None else {c for c in reached if units[c].parent == parent}
            counts = store.open_due_counts(now, soon, shown, kind)
            listed = sum(overdue + due_soon for overdue, due_soon in counts.values())
            summary = by_parent(counts, units) if listed > LISTED and parent is None else []
            open_items = [] if summary else store.open_due_by(soon, shown, kind)
            submitted = store.submitted_since(week_ago, shown, kind, SUBMITTED_SHOWN)
            more = len(submitted) == SUBMITTED_SHOWN
            recent = store.count_submitted_since(week_ago, shown, kind) if more else len(submitted)
            flags = store.late_flag_times(at(months[0], time(0)), scope)
        groups: dict[str, dict[str, list[Obligation]]] = defaultdict(lambda: defaultdict(list))
        for o in open_items:
            groups[units[o.unit].parent or ""][o.unit].append(o)
        per_month = Counter(month_of(when) for when in flags)
        kinds = shared.config.rules.kinds
        return page(
            request,
            "overview.html",
            now=fmt_datetime(now),
            units=units,
            groups=groups,
            summary=summary,
            listed=listed,
            kinds=kinds,
            # the filter offers what can still be late: not a one-off plan of years ago
            choices={k: v for k, v in kinds.items() if not v.over(now) or k == kind},
            parent=parent,
            kind=kind,
            fmt=fmt_datetime,
            current=now,
            overdue=sum(overdue for overdue, _ in counts.values()),
            due_soon=sum(due_soon for _, due_soon in counts.values()),
            trend=[(f"{m:%m/%Y}", per_month[m]) for m in months],
            peak=max(per_month.values(), default=1),
            parents=sorted({units[c].parent for c in reached if units[c].parent} & reached),
            submitted=submitted,
            submitted_more=recent - len(submitted),
            standing=receipt.describe,
        )

    @pages.get("/overview/unit/{code}", response_class=HTMLResponse, response_model=None)
    def unit_history(request: Request, code: str, who: Viewer) -> HTMLResponse | Response:
        shared = services(request)
        now = shared.clock.now()
        with transaction(shared.engine) as store:
            units = store.unit_tree()
            if code not in reach(who, units):
                return polite(request, "Không có đơn vị này.", 404)
            items = store.obligations(unit=code, moved_out=True)
        return page(
            request,
            "unit.html",
            unit=units[code],
            items=items,
            now=now,
            fmt=fmt_datetime,
            kinds=shared.config.rules.kinds,
            standing=receipt.describe,
        )

    @pages.get("/overview/export.{fmt}", response_model=None)
    def export(request: Request, fmt: str, who: Viewer) -> Response:
        if fmt not in ("xlsx", "csv"):
            return polite(request, "Định dạng xlsx hoặc csv.", 404)
        shared = services(request)
        now = shared.clock.now()
        with transaction(shared.engine) as store:
            units = store.units()
            reached = reach(who, units)
            items = [
                o for o in store.obligations(open_only=True, due_before=now) if o.unit in reached
            ]
        rows = report.overdue_rows(items, units, shared.config.rules, now)
        data = report.to_csv(rows) if fmt == "csv" else report.to_xlsx(rows, now)
        media = (
            "text/csv; charset=utf-8"
            if fmt == "csv"
            else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        name = f"qua-han-{now:%Y%m%d}.{fmt}"
        return Response(
            data,
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    return pages
