"""The API's one error shape, and how each error status is declared in the OpenAPI document.

Every error is FastAPI's ``{"detail": "<what is wrong and what to fix>"}`` with ``detail``
always a string: 400, 401, 403, 404, 409, 413, 422 and 429 alike. A request that does not fit
the schema (FastAPI's validation) is a 422 whose ``detail`` names each field and its problem
in one line, with the same problems as a list under ``errors`` (FastAPI's ``loc``, ``msg`` and
``type``, and at most a short excerpt of the ``input``), for programs.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from scheduler.errors import Conflict, HanbaoError, InvalidInput, NotFound

STATUS = {InvalidInput: 422, NotFound: 404, Conflict: 409}
EXCERPT = 80  # characters of an input a 422 may show


class Issue(BaseModel):
    """One problem with a request, as FastAPI reports it."""

    loc: list[str | int]
    msg: str
    type: str
    input: Any = None


class Problem(BaseModel):
    """Every error of the API."""

    detail: str
    errors: list[Issue] | None = None


MEANING = {
    400: "the body is not JSON in UTF-8",
    401: "no token, or not a valid one (Authorization: Bearer <token>)",
    403: "the token's role may not do this",
    404: "no such unit, case or obligation within the token's reach",
    409: "it conflicts with what is recorded (already recorded, or changed meanwhile)",
    413: "the body is over web.max_body_bytes",
    422: "the request is not valid: detail says what to fix",
    429: "too many failed authentications from this address: try again in 5 minutes",
}


def declared(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of an operation: each error status it can answer, with ``Problem``.
    Every API operation can answer 401, 422 and 429."""
    return {
        code: {"model": Problem, "description": MEANING[code]}
        for code in sorted({401, 422, 429, *codes})
    }


def excerpt(value: object, size: int = EXCERPT) -> object:
    """A value as a 422 may show it: short scalars as they are, anything else cut short."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= size else text[:size] + "…"


def _field(loc: Any) -> str:
    return ".".join(str(part) for part in loc or ()) or "body"


def install(app: FastAPI) -> None:
    """The handlers that give every error the one shape (FastAPI's own for HTTPException
    already writes ``{"detail": <the string given>}``)."""

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        """FastAPI's 422, with at most a short excerpt of what was sent: never the input back."""
        issues = [
            {
                "loc": list(e.get("loc", ())),
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
                "input": excerpt(e.get("input")),
            }
            for e in error.errors()
        ]
        detail = "; ".join(
            f"{_field(e.get('loc', ()))}: {e.get('msg', '')}" for e in error.errors()
        )
        return JSONResponse({"detail": detail, "errors": jsonable_encoder(issues)}, status_code=422)

    @app.exception_handler(HanbaoError)
    async def hanbao_error(request: Request, error: HanbaoError) -> JSONResponse:
        status = next((code for kind, code in STATUS.items() if isinstance(error, kind)), 400)
        return JSONResponse({"detail": str(error)}, status_code=status)
