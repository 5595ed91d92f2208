"""One kind as ``rules.yaml`` writes it: each key checked by itself, then, where its meaning
depends on the trigger, against the trigger (when that was valid), so that every problem of a
kind is listed at once.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import Field, PlainValidator, ValidationInfo, field_validator, model_validator

from scheduler.deadlines.rules import ROLE_TRIGGERS, TRIGGERS, UNIT_KINDS, Kind, Role, Trigger
from scheduler.deadlines.rules_parts import DeadlineDoc, Recipients, StepDoc, Strict, Text
from scheduler.validation import refuse

_FIXED = ("yearly", "once")
_COUNTED = ("case_verified", "case_event", "after")


def _trigger(value: Any) -> Trigger:
    if value not in TRIGGERS:
        raise refuse(
            f"dùng một trong / use one of {', '.join(TRIGGERS)}, không phải / not {value!r}"
        )
    return value  # type: ignore[no-any-return]


class KindDoc(Strict):
    """One kind. Each key after ``trigger`` is checked against it, when it was valid."""

    trigger: Annotated[Trigger, PlainValidator(_trigger)]
    deadline: DeadlineDoc = Field(default=None, validate_default=True)
    event: str | None = Field(default=None, validate_default=True)
    owed_by: tuple[str, ...] = Field(default=(), validate_default=True)
    ladder: tuple[StepDoc, ...] = Field(default=None, validate_default=True)
    after: str | None = Field(default=None, validate_default=True)
    period: str = Field(default="{year}", validate_default=True)
    owed_by_successor: bool = Field(default=True, validate_default=True)
    subject_phrases: tuple[str, ...] = ()
    role: Role | None = Field(default=None, validate_default=True)
    name: Text | None = None
    how: Text = ""
    submit_to: Recipients = Field(default=["parent.leader"], validate_default=True)

    @model_validator(mode="before")
    @classmethod
    def _mapping(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            raise refuse("cần / needs name, trigger, deadline, ladder")
        return value

    @field_validator("deadline")
    @classmethod
    def _deadline_fits_trigger(cls, value: DeadlineDoc, info: ValidationInfo) -> DeadlineDoc:
        trigger = info.data.get("trigger")
        fixed = value.before is not None
        if trigger in _FIXED and not fixed:
            raise refuse(
                f"trigger {trigger} cần before: dd/mm hoặc dd/mm/yyyy / needs before: dd/mm or "
                "dd/mm/yyyy"
            )
        if trigger == "request" and not value.requested:
            raise refuse(
                "trigger request cần deadline: {requested: true} / needs deadline: "
                "{requested: true}"
            )
        if trigger in _COUNTED and (fixed or value.requested):
            raise refuse(
                "cần working_days, calendar_days hoặc hours / needs working_days, "
                "calendar_days or hours"
            )
        if trigger == "yearly" and isinstance(value.before, date):
            raise refuse(
                "trigger yearly cần before: dd/mm (không có năm) / needs before: dd/mm (no year)"
            )
        if trigger == "once" and isinstance(value.before, tuple):
            raise refuse("trigger once cần before: dd/mm/yyyy / needs before: dd/mm/yyyy")
        return value

    @field_validator("event", mode="before")
    @classmethod
    def _event_with_its_trigger(cls, value: Any, info: ValidationInfo) -> Any:
        trigger = info.data.get("trigger")
        if trigger is not None and (trigger == "case_event") != (value is not None):
            raise refuse(
                "event chỉ dùng và bắt buộc với trigger case_event / event goes with trigger "
                "case_event, and only with it, e.g. event: emergency_received"
            )
        if value is not None and not (isinstance(value, str) and value.isidentifier()):
            raise refuse(f"một tên như / a name like child_removed: {value!r}")
        return value

    @field_validator("owed_by", mode="before")
    @classmethod
    def _unit_kinds(cls, value: Any, info: ValidationInfo) -> tuple[str, ...]:
        owed_by = tuple(str(unit_kind) for unit_kind in value)
        for unit_kind in owed_by:
            if unit_kind not in UNIT_KINDS:
                raise refuse(
                    f"loại đơn vị không có {unit_kind!r} / unknown unit kind; dùng / use "
                    f"{', '.join(UNIT_KINDS)}"
                )
        if info.data.get("trigger") in _FIXED and not owed_by:
            raise refuse(
                "cần danh sách loại đơn vị phải báo cáo / needs the unit kinds that owe it, "
                "ví dụ / e.g. [commune, agency]"
            )
        return owed_by

    @field_validator("ladder", mode="before")
    @classmethod
    def _steps(cls, value: Any) -> Any:
        if not isinstance(value, list) or not value:
            raise refuse("cần ít nhất một bậc nhắc / at least one step")
        return value

    @field_validator("ladder")
    @classmethod
    def _unique_steps(cls, value: tuple[StepDoc, ...]) -> tuple[StepDoc, ...]:
        names = [step.step for step in value]
        for name in sorted({n for n in names if names.count(n) > 1}):
            raise refuse(f"tên bậc {name!r} bị trùng / step names must be unique")
        return value

    @field_validator("after", mode="before")
    @classmethod
    def _after_with_its_trigger(cls, value: Any, info: ValidationInfo) -> Any:
        trigger = info.data.get("trigger")
        if trigger is not None and (trigger == "after") != (value is not None):
            raise refuse(
                "after chỉ dùng và bắt buộc với trigger after / after goes with trigger after, "
                "and only with it"
            )
        return None if value is None else str(value)

    @field_validator("period", mode="before")
    @classmethod
    def _period_names_its_year(cls, value: Any, info: ValidationInfo) -> str:
        period = str(value)
        if info.data.get("trigger") == "yearly" and "{year}" not in period:
            raise refuse("cần chứa {year} / must contain {year}, e.g. '{year}-H1'")
        return period

    @field_validator("owed_by_successor", mode="before")
    @classmethod
    def _flag(cls, value: Any) -> bool:
        if not isinstance(value, bool):
            raise refuse("cần true hoặc false / true or false")
        return value

    @field_validator("subject_phrases", mode="before")
    @classmethod
    def _phrases(cls, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(p, str) and p.strip() for p in value):
            raise refuse("cần danh sách cụm từ / a list of phrases, e.g. ['báo cáo 6 tháng']")
        return tuple(phrase.strip() for phrase in value)

    @field_validator("role", mode="before")
    @classmethod
    def _role_with_its_trigger(cls, value: Any, info: ValidationInfo) -> Any:
        trigger = info.data.get("trigger")
        if value is not None and trigger is not None and ROLE_TRIGGERS.get(value) != trigger:
            raise refuse(
                "vai trò cần trigger / a role needs its trigger: "
                + ", ".join(f"{r} ({t})" for r, t in ROLE_TRIGGERS.items())
                + f", không phải / not {value!r} with trigger {trigger}"
            )
        return value

    def value(self, kind_id: str) -> Kind:
        return Kind(
            id=kind_id,
            name=kind_id if self.name is None else self.name,
            trigger=self.trigger,
            deadline=self.deadline.value(),
            ladder=tuple(step.value() for step in self.ladder),
            owed_by=self.owed_by,
            submit_to=self.submit_to,
            after=self.after,
            how=self.how,
            period=self.period,
            owed_by_successor=self.owed_by_successor,
            subject_phrases=self.subject_phrases,
            event=self.event,
            role=self.role,
        )
