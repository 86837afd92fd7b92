"""The FastAPI application: routes, error mapping, body limits and metrics, wired to services."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from slakeeper import __version__
from slakeeper.bootstrap import Services
from slakeeper.entrypoints.api import (
    errors,
    routes_advice,
    routes_alerts,
    routes_assist,
    routes_availability,
    routes_clocks,
    routes_config,
    routes_customers,
    routes_events,
    routes_hooks,
    routes_reports,
    routes_risk,
    routes_routing,
    routes_system,
)
from slakeeper.entrypoints.web import routes as web_routes
from slakeeper.entrypoints.web import routes_advice as web_advice
from slakeeper.entrypoints.web import routes_availability as web_availability

WEB_STATIC = Path(__file__).resolve().parents[1] / "web" / "static"


class AppMetrics:
    """Counters the API keeps, plus clock counts read from the store at each scrape."""

    def __init__(self, services: Services) -> None:
        self.registry = CollectorRegistry()
        self.events = Counter(
            "slakeeper_events_ingested", "New ticket events stored", registry=self.registry
        )
        self.registry.register(_ClockCollector(services))

    def ingested(self, count: int) -> None:
        self.events.inc(count)


class _ClockCollector(Collector):
    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Any]:
        gauge = GaugeMetricFamily(
            "slakeeper_clocks", "Stored clocks by metric and status", labels=["metric", "status"]
        )
        with self.services.uow.read() as store:
            counts = store.clock_counts()
            tickets = store.count_tickets()
            deliveries = store.delivery_counts()
            oldest = store.next_check_at()
        for (metric, status), count in sorted(counts.items()):
            gauge.add_metric([metric, status], count)
        yield gauge
        yield GaugeMetricFamily("slakeeper_tickets", "Tickets known", value=tickets)
        sent = GaugeMetricFamily(
            "slakeeper_deliveries",
            "Alert deliveries by status (dead: the dead-letter list)",
            labels=["status"],
        )
        for status, count in sorted(deliveries.items()):
            sent.add_metric([status], count)
        yield sent
        now = self.services.now()
        lag = max(0, now - oldest) / 1_000_000 if oldest is not None else 0.0
        yield GaugeMetricFamily(
            "slakeeper_monitor_lag_seconds",
            "How long the oldest due check has waited for the worker (0: nothing due)",
            value=lag,
        )


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, counted as they stream in, and NUL
    characters in the path or query with 422 (no store can keep them)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = scope.get("raw_path") or b""
        query = scope.get("query_string") or b""
        if b"%00" in raw or b"%00" in query or "\x00" in scope.get("path", ""):
            await self._refuse(send, 422, b"a NUL character in the path or query is not allowed")
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send, 413, b"request body too large")
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._refuse(send, 413, b"request body too large")

    async def _refuse(self, send: Send, status: int, error: bytes) -> None:
        body = b'{"error":"' + error + b'","issues":[]}'
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


def create_app(services: Services) -> FastAPI:
    app = FastAPI(
        title="slakeeper",
        version=__version__,
        description="SLA clocks for every ticket: push events, read clocks, see what is about to breach.",
    )
    app.state.services = services
    app.state.metrics = AppMetrics(services)
    errors.install(app)
    for module in (
        routes_config,
        routes_events,
        routes_clocks,
        routes_alerts,
        routes_reports,
        routes_availability,
        routes_customers,
        routes_risk,
        routes_routing,
        routes_assist,
        routes_advice,
        routes_hooks,
        routes_system,
    ):
        app.include_router(module.router)
    app.include_router(routes_reports.reviews)
    app.include_router(web_routes.router)
    app.include_router(web_availability.router)
    app.include_router(web_advice.router)
    app.mount("/ui/static", StaticFiles(directory=WEB_STATIC), name="static")
    app.add_middleware(BodyLimit, limit=services.settings.max_body_bytes)
    return app
