"""The parts of a kind as ``rules.yaml`` writes them: its deadline and its ladder's steps, and
the values they are made of (whole numbers, times of day, roles), each a pydantic model or type
whose validator says the problem and its fix (``scheduler.validation.refuse``).
"""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationInfo,
    field_validator,
    model_validator,
)

from scheduler.deadlines.rules import ROLES, Deadline, Recipient, Step
from scheduler.deadlines.vntime import parse_date
from scheduler.errors import InvalidInput
from scheduler.validation import refuse

_MISSING: Any = object()  # `at` not written
_BY_HOURS: Any = object()  # `at` left aside: the step has `at_hours`


def _positive(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise refuse(f"cần một số nguyên dương / a positive whole number, not {value!r}")
    return value


def _clock(value: Any) -> time:
    try:
        hour, minute = (int(part) for part in str(value).split(":"))
        return time(hour, minute)
    except ValueError:
        raise refuse(
            f"giờ không hợp lệ / invalid time {value!r}: viết / write HH:MM, e.g. 08:00"
        ) from None


def _recipients(value: Any) -> tuple[Recipient, ...]:
    if not isinstance(value, list) or not value:
        raise refuse(
            "cần một danh sách vai trò / a list of roles, ví dụ / e.g. [officer, parent.supervisor]"
        )
    texts = [str(item) for item in value]
    unknown = [text for text in texts if text.removeprefix("parent.") not in ROLES]
    if unknown:
        raise refuse(
            f"vai trò không có / unknown role {', '.join(map(repr, unknown))}; dùng / use "
            f"{', '.join(ROLES)} hoặc / or parent.<role>"
        )
    return tuple(Recipient(t.removeprefix("parent."), t.startswith("parent.")) for t in texts)


def _before(raw: Any) -> tuple[int, int] | date:
    text = str(raw)
    try:
        if text.count("/") == 2:
            return parse_date(text)
        day, month = (int(part) for part in text.split("/"))
        date(2023, month, day)  # a day-month every year has: 29/02 is refused
        return (day, month)
    except (ValueError, InvalidInput):
        raise refuse(
            "viết dd/mm (hằng năm) hoặc dd/mm/yyyy / write dd/mm (every year) or "
            f"dd/mm/yyyy, không phải / not {raw!r}"
        ) from None


Positive = Annotated[int, PlainValidator(_positive)]
Clock = Annotated[time, PlainValidator(_clock)]
Recipients = Annotated[tuple[Recipient, ...], PlainValidator(_recipients)]
Text = Annotated[str, PlainValidator(str)]  # written as it comes, a number as its digits


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeadlineDoc(Strict):
    """``{working_days: N}``, ``{calendar_days: N}``, ``{hours: N}``, ``{before: "dd/mm"}`` with
    an optional ``year_offset``, ``{before: "dd/mm/yyyy"}`` or ``{requested: true}``."""

    working_days: Positive | None = None
    calendar_days: Positive | None = None
    hours: Positive | None = None
    before: Annotated[tuple[int, int] | date | None, PlainValidator(_before)] = None
    year_offset: int = 0
    requested: Annotated[bool, PlainValidator(lambda v: True)] = False  # any value: requested

    @model_validator(mode="before")
    @classmethod
    def _one_way(cls, value: Any) -> Any:
        if not isinstance(value, dict) or (
            len(value) != 1 and set(value) != {"before", "year_offset"}
        ):
            raise refuse(
                "cần đúng một trong / exactly one of: working_days, calendar_days, hours, "
                "before, requested"
            )
        return value

    def value(self) -> Deadline:
        if isinstance(self.before, tuple):
            return Deadline(before_day_month=self.before, year_offset=self.year_offset)
        if isinstance(self.before, date):
            return Deadline(before_date=self.before)
        return Deadline(
            working_days=self.working_days,
            calendar_days=self.calendar_days,
            hours=self.hours,
            requested=self.requested,
        )


def _at(value: Any) -> int | str | None:
    if value is _BY_HOURS:
        return None
    if value == "immediate" or (isinstance(value, int) and not isinstance(value, bool)):
        return value  # type: ignore[no-any-return]
    shown = None if value is _MISSING else value
    raise refuse(
        "viết immediate hoặc số ngày làm việc so với hạn / write immediate or working "
        f"days from the deadline (-2, 0, 1), không phải / not {shown!r}"
    )


def _hours(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise refuse(f"cần số giờ nguyên / whole hours, không phải / not {value!r}")
    return value


class RepeatDoc(BaseModel):
    model_config = ConfigDict(frozen=True)
    every_working_days: Positive = Field(default=None, validate_default=True)
    times: Positive = Field(default=None, validate_default=True)

    @model_validator(mode="before")
    @classmethod
    def _mapping(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            raise refuse("viết / write {every_working_days: N, times: K}")
        return value


class StepDoc(Strict):
    """A rung of the ladder: ``at`` (``immediate`` or working days from the deadline's day) or
    ``at_hours``, then ``time``, ``notify``, ``repeat`` and ``flag_late``."""

    step: Text
    at_hours: Annotated[int, PlainValidator(_hours)] | None = None
    at: Annotated[int | str | None, PlainValidator(_at)] = Field(
        default=_MISSING, validate_default=True
    )
    time: Clock | None = None
    notify: Recipients = Field(default=None, validate_default=True)
    repeat: RepeatDoc | None = None
    flag_late: Annotated[bool, PlainValidator(bool)] = False

    @model_validator(mode="before")
    @classmethod
    def _named(cls, value: Any) -> Any:
        if not isinstance(value, dict) or "step" not in value:
            raise refuse(
                "mỗi bậc cần step, at (hoặc at_hours) và notify / each step needs step, at "
                "(or at_hours) and notify"
            )
        return {**value, "at": _BY_HOURS} if "at_hours" in value else value

    @field_validator("repeat")
    @classmethod
    def _repeats_in_working_days(cls, value: RepeatDoc | None, info: ValidationInfo) -> Any:
        if value is not None and (
            info.data.get("at") == "immediate" or info.data.get("at_hours") is not None
        ):
            raise refuse(
                "chỉ bậc tính theo ngày làm việc mới lặp lại được / only a step counted in "
                "working days repeats"
            )
        return value

    def value(self) -> Step:
        repeat = self.repeat or RepeatDoc(every_working_days=1, times=1)
        return Step(
            name=self.step,
            notify=self.notify,
            immediate=self.at == "immediate",
            working_days=self.at if isinstance(self.at, int) else None,
            hours=self.at_hours,
            time=self.time,
            every_working_days=repeat.every_working_days,
            times=repeat.times,
            flag_late=self.flag_late,
        )
