"""The API's request and response bodies and its path parameters, as the OpenAPI document
declares them: a request that breaks them is a 422 before any handler runs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path as PathParam
from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field

from scheduler.lifecycle import receipt
from scheduler.records import Obligation

# ids are INTEGER (32-bit on PostgreSQL): a larger one is a 422, not an overflow in the driver
ObligationId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
# a case code as ledger.open_case takes it ("/" aside: a path cannot carry it)
CaseCode = Annotated[str, PathParam(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]

# The shapes of a moment and of a day, as patterns; what cannot be a pattern (a moment not in
# the future, a deadline not past: they depend on the clock) is named by the format, and said
# in the description. A request that breaks it is a 422.
_MOMENT = (
    r"^(\d{2}/\d{2}/\d{4}( \d{2}:\d{2}(:\d{2})?)?"  # dd/mm/yyyy HH:MM
    r"|\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:\d{2})?)$"  # ISO 8601
)
_DAY = r"^\d{2}/\d{2}/\d{4}( \d{2}:\d{2})?$"
_DATE = r"^(\d{2}/\d{2}/\d{4}|\d{4}-\d{2}-\d{2})$"
Day = Annotated[
    str,
    Query(
        max_length=10,
        pattern=_DATE,
        examples=["01/01/2027"],
        description="dd/mm/yyyy or yyyy-mm-dd",
        json_schema_extra={"format": "hanbao-day"},
    ),
]
Moment = Annotated[
    str,
    Field(
        description="dd/mm/yyyy HH:MM or ISO 8601; Vietnam time if naive; not in the future "
        "(a 422 says so)",
        examples=["04/02/2027 15:00"],
        max_length=40,
        pattern=_MOMENT,
        json_schema_extra={"format": "hanbao-past-moment"},
    ),
]


class CaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a mistake, not padding
    code: Annotated[
        str,
        Field(
            description="case code, never a name",
            max_length=64,
            pattern=r"^[A-Za-z0-9][A-Za-z0-9/._-]{0,63}$",
            examples=["VV-2027-001"],
        ),
    ]
    unit: Annotated[str, Field(max_length=64, examples=["X01"])]
    category: Annotated[str, Field(max_length=40, pattern=r"^[a-z0-9_]{1,40}$")] = "xam_hai"
    verified_at: Moment
    backfill: Annotated[
        bool,
        Field(description="record a case verified longer ago than backfill_horizon_days"),
    ] = False


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a mistake, not padding
    stage: Annotated[str, Field(description="urgent, written, or a case kind id", max_length=64)]
    at: Moment


class CaseEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a mistake, not padding
    kind: Annotated[
        str,
        Field(
            description="an event the rules name: emergency_received, child_removed",
            max_length=64,
        ),
    ]
    at: Moment


class AdhocIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a mistake, not padding
    unit: Annotated[str, Field(max_length=64)]
    reference: Annotated[
        str,
        Field(
            description="the request's document number, printable text",
            max_length=120,
            pattern=r"\S",
            examples=["123/UBND-VX"],
        ),
    ]
    due: Annotated[
        str,
        Field(
            description="dd/mm/yyyy (end of that day) or dd/mm/yyyy HH:MM; not past (a 422 says "
            "so)",
            max_length=16,
            pattern=_DAY,
            examples=["30/04/2027"],
            json_schema_extra={"format": "hanbao-future-day"},
        ),
    ]
    requested_by: Annotated[
        str,
        Field(
            description="who asks, printable text",
            max_length=200,
            pattern=r"\S",
            examples=["UBND huyện"],
        ),
    ]
    # unless given, the kind that plays adhoc_request in the rules (_enumerate shows which)
    kind: Annotated[str, Field(max_length=64)] = ""


class SubmissionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a mistake, not padding
    at: Moment


# the keys of receipt.DISPUTE_REASONS, spelt out for the schema (a test keeps them equal)
DisputeReason = Literal["not_received", "wrong_report", "incomplete", "unreadable"]


class DisputeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[
        DisputeReason,
        Field(
            description="why the receiving unit does not have the report: "
            + "; ".join(f"{k} ({v})" for k, v in receipt.DISPUTE_REASONS.items())
        ),
    ]


class ObligationOut(BaseModel):
    id: int
    key: str
    unit: str
    kind: str
    case: str | None
    period: str | None
    requested_by: str | None
    due: str
    state: Literal["open", "overdue", "submitted", "superseded"]
    submitted_at: str | None
    days_late: int
    next_action_at: str | None
    moved_from: str | None = None
    superseded_by: int | None = None
    submitted_via: Literal["mail", "link", "api", "cli"] | None = None
    confirmed_at: str | None = None
    disputed_at: str | None = None


class TimelinessOut(BaseModel):
    unit: str
    parent: str | None
    level: Literal["unit", "rollup"]
    kind: str
    period: str
    expected: int
    submitted: int
    on_time: int
    late: int
    missing: int
    on_time_rate: float | None
    mean_days_late: float | None
    max_days_late: int | None


class AuditOut(BaseModel):
    at: str
    actor: str
    action: str
    obligation: int | None
    case: str | None
    detail: dict[str, Any]


class HistoryOut(ObligationOut):
    steps: list[dict[str, Any]]
    mails: list[dict[str, Any]]
    audit: list[dict[str, Any]]


def out(items: list[Obligation], now: datetime) -> list[ObligationOut]:
    """Obligations as the API answers them."""
    return [ObligationOut(**o.as_json(now)) for o in items]
