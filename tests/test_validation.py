"""pydantic's complaints said the hanbao way: where, what is needed, what was found."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any

import pytest
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
    with_config,
)

from scheduler.errors import ConfigError
from scheduler.validation import Flag, need, place, problems, read_section, refuse

HERE = Path("hanbao.yaml")


@with_config(ConfigDict(extra="forbid"))
@dataclass(frozen=True)
class Inner:
    every: Annotated[float, Field(gt=0), need("cần số giây > 0 / seconds > 0")] = 1
    on: Flag = False
    name: Annotated[str, Field(alias="from")] = "x"

    @model_validator(mode="after")
    def _named_when_on(self) -> Inner:
        if self.on and self.name == "x":
            raise refuse("đặt tên / name it {at} {x}", at="from")
        return self


def read(values: object, env: dict[str, str] | None = None) -> Inner:
    variables = {"HANBAO_EVERY": "every", "HANBAO_ON": "on"}
    return read_section(Inner, {"inner": values}, "inner", HERE, env or {}, variables)


@pytest.mark.parametrize(
    ("values", "env", "said"),
    [
        ({"every": 0}, {}, "hanbao.yaml: inner.every: cần số giây > 0 / seconds > 0, không phải "
         "/ not 0"),
        ({"every": True}, {}, "hanbao.yaml: inner.every: cần số giây > 0 / seconds > 0, không "
         "phải / not True"),
        ({}, {"HANBAO_EVERY": "soon"}, "HANBAO_EVERY: cần số giây > 0 / seconds > 0, không "
         "phải / not 'soon'"),
        ({"colour": 1}, {}, "hanbao.yaml: inner.colour: khoá không có / unknown key; chỉ có các "
         "khoá / has only the keys every, from, on"),
        ([1], {}, "hanbao.yaml: inner: cần một bảng khoá: giá trị / must be a mapping"),
        ({"on": "yes"}, {}, "hanbao.yaml: inner.on: viết true hoặc false / write true or false, "
         "không phải / not 'yes'"),
        ({}, {"HANBAO_ON": "1"}, "hanbao.yaml: inner.from: đặt tên / name it {at} {x}"),
    ],
)  # fmt: skip
def test_each_problem_names_the_key_or_the_variable_and_the_fix(
    values: object, env: dict[str, str], said: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        read(values, env)
    assert str(refused.value) == said


def test_every_problem_is_said_one_line_each() -> None:
    with pytest.raises(ConfigError) as refused:
        read({"every": -1, "on": "maybe"})
    assert str(refused.value).splitlines() == [
        "hanbao.yaml: inner.every: cần số giây > 0 / seconds > 0, không phải / not -1",
        "hanbao.yaml: inner.on: viết true hoặc false / write true or false, không phải / not "
        "'maybe'",
    ]


def test_the_environment_wins_and_the_result_is_a_plain_dataclass() -> None:
    inner = read({"every": 5, "from": "y"}, {"HANBAO_EVERY": "2.5", "HANBAO_ON": "true"})
    assert inner == Inner(every=2.5, on=True, name="y")
    assert replace(inner, every=-1).every == -1  # checked once, when read; trusted after


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid")
    count: int
    name: str = ""

    @field_validator("name")
    @classmethod
    def _named(cls, value: str) -> str:
        if value == "x":
            raise refuse("cần một tên / a name, e.g. {year}-H1")
        return value


class Table(BaseModel):
    rows: list[Row]


def _problems(document: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as error:
        Table.model_validate(document)
    return problems(error.value)


def test_a_place_joins_keys_with_dots_and_counts_rows_from_one() -> None:
    assert place(("kinds", "k", "ladder", 0, "at")) == "kinds.k.ladder[1].at"
    assert place((2, "x")) == "[3].x"


def test_our_message_is_kept_as_written_braces_and_all() -> None:
    assert _problems({"rows": [{"count": 1, "name": "x"}]}) == [
        ("rows[1].name", "cần một tên / a name, e.g. {year}-H1")
    ]


def test_an_unknown_key_is_named_where_it_was_written() -> None:
    assert _problems({"rows": [{"count": 1}, {"count": 2, "colour": "red"}]}) == [
        ("rows[2]", "khoá không có / unknown key 'colour'")
    ]


def test_pydantics_own_message_is_said_as_an_invalid_value_in_both_languages() -> None:
    ((place, message),) = _problems({"rows": [{"count": "many"}]})
    assert place == "rows[1].count"
    assert message.startswith("giá trị không hợp lệ / invalid value: ") and "integer" in message
