"""One error shape for the whole JSON API: ``{"error": "what went wrong, for a person"}``, with
the right status: 400 for a request that does not validate (FastAPI's default is 422 with a
``detail`` list that echoes the input back), 404 for an unknown /api/ path and 405 (with Allow)
for a known path asked with the wrong method (the chat mounted at / would otherwise answer 404)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from bot.web.security import API_PREFIX


class ErrorResponse(BaseModel):
    error: str


def error_responses(*codes: int) -> dict:
    """The ``responses=`` of a route, so /docs shows its error replies and their shape."""
    meaning = {400: "The request is not valid", 403: "Not allowed from this origin or address",
               405: "Wrong method", 409: "The new index or settings cannot be used", 413: "Request too large",
               429: "Too many requests; see Retry-After", 503: "Not available"}
    return {code: {"model": ErrorResponse, "description": meaning[code]} for code in codes}


def _readable(error: dict) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    # The message only: the input is not echoed (it may be huge, or not even encodable).
    return f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg", "invalid"))


def install_error_handlers(app: FastAPI) -> None:
    """Call after the API routes are added: the catch-all below must come after them."""

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(_readable(e) for e in exc.errors()[:5])
        return JSONResponse(status_code=400, content={"error": f"Invalid request: {problems}"})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(status_code=exc.status_code, content={"error": str(exc.detail)},
                            headers=getattr(exc, "headers", None))

    api_routes = [r for r in app.routes if getattr(r, "path", "").startswith(API_PREFIX)]

    @app.api_route(API_PREFIX + "{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"],
                   include_in_schema=False)
    async def unknown_api_route(request: Request, rest: str) -> JSONResponse:
        allowed = sorted({m for r in api_routes if r.matches(request.scope)[0] != Match.NONE
                          for m in (r.methods or ())})
        if allowed:
            return JSONResponse(status_code=405, headers={"allow": ", ".join(allowed)},
                                content={"error": f"{request.method} is not allowed here; use {', '.join(allowed)}."})
        return JSONResponse(status_code=404, content={"error": f"No API endpoint {request.url.path}; see /docs."})
