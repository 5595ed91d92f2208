"""The leaders' overview (``/overview``): server-rendered, Vietnamese, readable on a phone,
behind the login of ``scheduler.web.pages``; each unit's history and the overdue exports."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import time, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from scheduler.deadlines.vntime import at, fmt_datetime, month_of, months_ending
from scheduler.lifecycle import receipt
from scheduler.records import Obligation
from scheduler.reports import overdue as report
from scheduler.store.queries import transaction
from scheduler.web.access import reach
from scheduler.web.pages import Viewer, page, polite
from scheduler.web.services import services

TREND_MONTHS = 12  # the leaders' trend of late flags: calendar months, this one last


def router() -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    @pages.get("/overview", response_class=HTMLResponse, response_model=None)
    def overview(
        request: Request, who: Viewer, parent: str | None = None, kind: str | None = None
    ) -> HTMLResponse | Response:
        shared = services(request)
        now = shared.clock.now()
        months = months_ending(now, TREND_MONTHS)
        with transaction(shared.engine) as store:
            units = store.units()
            reached = reach(who, units)

            def shown(o: Obligation) -> bool:
                return (
                    o.unit in reached
                    and (kind is None or o.kind == kind)
                    and (parent is None or units[o.unit].parent == parent)
                )

            open_items = [o for o in store.obligations(open_only=True) if shown(o)]
            week_ago = now - timedelta(days=7)
            submitted = [o for o in store.obligations(submitted_since=week_ago) if shown(o)]
            flags = store.late_flags(reached, at(months[0], time(0)))
        soon = now + timedelta(days=7)
        groups: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for o in open_items:
            if o.due_at < now or o.due_at <= soon:
                groups[units[o.unit].parent or ""][o.unit].append(o)
        per_month = Counter(month_of(when) for _, when in flags)
        kinds = shared.config.rules.kinds
        return page(
            request,
            "overview.html",
            now=fmt_datetime(now),
            units=units,
            groups=groups,
            kinds=kinds,
            # the filter offers what can still be late: not a one-off plan of years ago
            choices={k: v for k, v in kinds.items() if not v.over(now) or k == kind},
            parent=parent,
            kind=kind,
            fmt=fmt_datetime,
            current=now,
            overdue=sum(o.due_at < now for o in open_items),
            due_soon=sum(now <= o.due_at <= soon for o in open_items),
            trend=[(f"{m:%m/%Y}", per_month[m]) for m in months],
            peak=max(per_month.values(), default=1),
            parents=sorted({units[c].parent for c in reached if units[c].parent} & reached),
            submitted=sorted(submitted, key=lambda o: o.submitted_at or now, reverse=True),
            standing=receipt.describe,
        )

    @pages.get("/overview/unit/{code}", response_class=HTMLResponse, response_model=None)
    def unit_history(request: Request, code: str, who: Viewer) -> HTMLResponse | Response:
        shared = services(request)
        now = shared.clock.now()
        with transaction(shared.engine) as store:
            units = store.units()
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
