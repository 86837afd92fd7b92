"""What every dashboard page does first: find the services and the logged-in principal (the API
token in the ``slk_token`` cookie), send the anonymous to the login page, render a template."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from slakeeper.bootstrap import Services
from slakeeper.service.tokens import Principal, Unauthorized, authenticate

COOKIE = "slk_token"
_env = Environment(
    loader=PackageLoader("slakeeper.entrypoints.web", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
)


def services_of(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def who_is(request: Request) -> Principal | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        return authenticate(services_of(request).uow, token)
    except Unauthorized:
        return None


def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(_env.get_template(name).render(**context), status_code=status)


def login_first() -> RedirectResponse:
    return RedirectResponse("/ui/login", status_code=303)
