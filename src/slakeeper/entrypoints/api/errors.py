"""One place that maps errors to HTTP answers: a clear 4xx for bad input, never a traceback."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from slakeeper.domain.errors import InvalidArgument, InvalidInput, Issue
from slakeeper.entrypoints.api.deps import Forbidden
from slakeeper.entrypoints.api.schemas import ErrorPublic
from slakeeper.service.queries import NotFound
from slakeeper.service.tokens import Unauthorized

log = logging.getLogger("slakeeper.api")

_MEANINGS = {
    400: "The body cannot be read (not UTF-8, not JSON)",
    401: "No token, or an unknown or revoked one",
    403: "The token's role or customer does not allow this",
    404: "Not found (or not visible to this token)",
    413: "The body is over the size limit",
    422: "Invalid input: each issue says where and what is wrong",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error answers an operation may give, for its OpenAPI description."""
    return {code: {"model": ErrorPublic, "description": _MEANINGS[code]} for code in codes}


def problem(status: int, error: str, issues: list[Issue] | tuple[Issue, ...] = ()) -> JSONResponse:
    body = {"error": error, "issues": [{"where": i.where, "message": i.message} for i in issues]}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(InvalidInput)
    async def _invalid(_: Request, exc: InvalidInput) -> JSONResponse:
        return problem(422, "invalid input", exc.issues)

    @app.exception_handler(InvalidArgument)
    async def _argument(_: Request, exc: InvalidArgument) -> JSONResponse:
        return problem(422, str(exc))

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return problem(404, str(exc))

    @app.exception_handler(Unauthorized)
    async def _unauthorized(_: Request, exc: Unauthorized) -> JSONResponse:
        return problem(401, str(exc))

    @app.exception_handler(Forbidden)
    async def _forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return problem(403, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        issues = [
            Issue(".".join(str(p) for p in err.get("loc", ())), str(err.get("msg", "invalid")))
            for err in exc.errors()
        ]
        return problem(422, "invalid request", issues)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem(500, "internal error; it has been logged")
