"""The leaders' page "Tỷ lệ báo cáo đúng hạn": per parent, its units ranked by on-time rate over
a chosen span, with a 12-month trend for each and for the parent, drawn as server-made SVG (no
script). Readable on a phone; prints on A4. Behind the overview's login."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from scheduler.deadlines.vntime import fmt_date, parse_date
from scheduler.errors import HanbaoError
from scheduler.reports import timeliness
from scheduler.reports.timeliness import Row
from scheduler.store.queries import transaction
from scheduler.web.access import reach
from scheduler.web.pages import TEMPLATES, Viewer
from scheduler.web.services import services

DateText = Annotated[str | None, Query(max_length=10)]


def ranked(rows: Sequence[Row]) -> list[Row]:
    """Best first: the higher on-time rate, then fewer missing, then the code."""
    return sorted(rows, key=lambda r: (-(r.on_time_rate or 0.0), r.missing, r.unit))


def every(_fact: timeliness.Fact) -> str:
    """One group for all: every kind (or the one chosen) together, the whole span."""
    return "*"


def router() -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    @pages.get("/overview/timeliness", response_class=HTMLResponse)
    def timeliness_view(
        request: Request,
        who: Viewer,
        parent: Annotated[str | None, Query(max_length=64)] = None,
        kind: Annotated[str | None, Query(max_length=64)] = None,
        start: Annotated[str | None, Query(alias="from", max_length=10)] = None,
        end: Annotated[str | None, Query(alias="to", max_length=10)] = None,
    ) -> HTMLResponse:
        shared = services(request)
        now = shared.clock.now()
        kinds = shared.config.rules.kinds
        try:
            last = parse_date(end) if end else now.date()
            given = parse_date(start) if start else None
        except HanbaoError as error:
            return TEMPLATES.TemplateResponse(
                request, "message.html", {"message": str(error)}, status_code=422
            )
        if given is not None and given > last:
            given, last = last, given
        trend_months = timeliness.months(last)
        trend_first = date.fromisoformat(trend_months[0] + "-01")
        first = given or trend_first  # by default the 12 months to ``last``
        chosen = kind if kind in kinds else None
        with transaction(shared.engine) as store:
            facts, units = timeliness.read(
                store,
                shared.config.calendar,
                min(first, trend_first),
                last,
                now,
                chosen,
            )
        reached = reach(who, units)
        top = None if who.role == "admin" else who.unit
        if top is not None:
            facts = timeliness.within(facts, top)
        span = timeliness.table(
            [f for f in facts if first <= f.due_day <= last], period=every, kind=every, top=top
        )
        trend = timeliness.table(
            [f for f in facts if f.due_day >= trend_first],
            period=lambda f: f"{f.due_day:%Y-%m}",
            kind=every,
            top=top,
        )
        rates: dict[tuple[str, str], dict[str, Row]] = {}
        for row in trend:
            rates.setdefault((row.unit, row.level), {})[row.period] = row
        heads = [r for r in span if r.level == "rollup" and r.unit in reached]
        shown = [h for h in heads if parent is None or h.unit == parent]
        groups = [
            (head, ranked([r for r in span if r.parent == head.unit and r.unit in reached]))
            for head in shown
        ]
        return TEMPLATES.TemplateResponse(
            request,
            "timeliness.html",
            {
                "groups": groups,
                "units": units,
                "kinds": kinds,
                "kind": chosen,
                "parent": parent,
                "parents": [h.unit for h in heads],
                "first": fmt_date(first),
                "last": fmt_date(last),
                "months": trend_months,
                "rates": rates,
                "now": now,
                "today": fmt_date(now.date()),
            },
        )

    return pages
