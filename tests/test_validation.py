from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from scheduler.validation import problem, problems, where


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid")
    count: int
    name: str = ""

    @field_validator("name")
    @classmethod
    def _named(cls, value: str) -> str:
        if value == "x":
            raise problem("cần một tên / a name, e.g. {year}-H1")
        return value


class Table(BaseModel):
    rows: list[Row]


def _problems(document: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as error:
        Table.model_validate(document)
    return problems(error.value)


def test_a_place_joins_keys_with_dots_and_counts_rows_from_one() -> None:
    assert where(("kinds", "k", "ladder", 0, "at")) == "kinds.k.ladder[1].at"
    assert where((2, "x")) == "[3].x"


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
