"""The HTTP client: requests, retries and the mapping of answers to models and errors."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote

import httpx
import orjson

from slakeeper import __version__
from slakeeper.client.errors import (
    AuthError,
    EventsRejected,
    InvalidRequest,
    Issue,
    NotFound,
    ServerError,
    SlakeeperError,
    UnexpectedResponse,
    Unreachable,
)
from slakeeper.client.models import (
    Alert,
    AtRisk,
    Availability,
    Clock,
    ComplianceRow,
    ConfigVersion,
    ConfigVersionSummary,
    CreatedToken,
    Customer,
    CustomersChanged,
    Delivery,
    Directory,
    Health,
    Incident,
    IngestResult,
    format_instant,
)

DEFAULT_TIMEOUT = 30.0  # seconds to connect, and between bytes of an answer
DEFAULT_RETRIES = 2  # further tries of an idempotent request
DEFAULT_BACKOFF = 0.25  # seconds before the first retry; doubled each time, at most 5 s
DEFAULT_BATCH = 1000  # events per POST /v1/events
MAX_BATCH = 100_000
RETRY_STATUSES = frozenset({502, 503, 504})
_REFUSED = frozenset({400, 413, 422})
_EVENT_LABEL = re.compile(r"^events\[(\d+)\]")
_ERRNO = re.compile(r"^\[Errno -?\d+\]\s*")

Instant = datetime | str
"""An instant: an aware datetime, or RFC 3339 text with an offset (``2026-03-02T08:00:00Z``)."""
T = TypeVar("T")


class Client:
    """A client of a slakeeper server's HTTP API (synchronous, built on httpx).

    ``base_url`` is the server (``http://127.0.0.1:8000``), ``token`` an API token (``slakeeper
    tokens create``; ``health()`` needs none). Use it as a context manager, or call ``close()``.
    ``transport`` replaces httpx's network transport (e.g. ``httpx.MockTransport`` in tests).

    Every method returns frozen dataclasses (:mod:`slakeeper.client.models`) and raises only
    :class:`~slakeeper.client.SlakeeperError` and its subclasses: :class:`AuthError` (401, 403),
    :class:`NotFound` (404), :class:`InvalidRequest` (400, 413, 422, with the server's issues;
    also for arguments refused before sending, such as a naive datetime), :class:`ServerError`
    (5xx), :class:`Unreachable` (no connection, or no answer within ``timeout`` seconds) and
    :class:`UnexpectedResponse` (an answer that is not slakeeper's).

    Retries: idempotent requests — every GET, ``put_config`` and ``put_customer`` (PUT),
    ``post_events`` (the server ignores an event id it already has with the same content),
    ``post_incident`` (the same incident again is a replay) and ``sync_customers`` (the same sync
    again changes nothing) — are tried again up to ``retries`` times when the connection fails or
    breaks, when the server does not answer in time, or when it answers 502, 503 or 504, after
    ``backoff`` seconds, doubled each time (at most 5 s; a ``Retry-After`` of up to 5 s is
    honoured). Other requests (``retry_delivery``, ``delete_customer``, ``create_token``,
    ``revoke_token``) are sent once.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        url = base_url.strip().rstrip("/")
        if not url.startswith(("http://", "https://")) or not url.partition("://")[2]:
            raise InvalidRequest(
                f"the server URL {base_url!r} must start with http:// or https:// "
                "(e.g. http://127.0.0.1:8000)"
            )
        if timeout <= 0 or retries < 0 or backoff < 0:
            raise InvalidRequest("timeout must be positive; retries and backoff not negative")
        headers = {"User-Agent": f"slakeeper-client/{__version__}", "Accept": "application/json"}
        if token is not None:
            token = token.strip()
            if not token or not token.isascii() or not token.isprintable():
                raise InvalidRequest("the token must be non-empty printable ASCII text")
            headers["Authorization"] = f"Bearer {token}"
        try:
            self._http = httpx.Client(
                base_url=url, headers=headers, timeout=timeout, transport=transport
            )
        except httpx.InvalidURL as exc:
            raise InvalidRequest(f"the server URL {base_url!r} is not valid: {exc}") from None
        self.base_url = url
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections (the client cannot be used afterwards)."""
        self._http.close()

    def __repr__(self) -> str:
        return f"Client({self.base_url!r})"

    # -- the API -----------------------------------------------------------------------------------

    def health(self) -> Health:
        """``GET /healthz``: the server and its database answer (no token needed)."""
        return self._get("/healthz", Health.from_json)

    def put_config(
        self, document: Mapping[str, Any] | str | bytes | os.PathLike[str]
    ) -> ConfigVersion:
        """Store an SLA configuration (SPEC §3) as a new version; admin token.

        ``document`` is YAML (or JSON) text, a mapping (sent as JSON), or a path to a file (sent
        as JSON when it ends in ``.json``, else as YAML). A document the server refuses raises
        :class:`InvalidRequest` whose issues name each place (``policies[0].targets...``).
        """
        kind = "application/yaml"
        if isinstance(document, os.PathLike):
            path = Path(document)
            try:
                body = path.read_bytes()
            except OSError as exc:
                raise InvalidRequest(
                    f"{path}: cannot read the file: {exc.strerror or exc}"
                ) from None
            if path.suffix.lower() == ".json":
                kind = "application/json"
        elif isinstance(document, str):
            body = document.encode("utf-8")
        elif isinstance(document, bytes):
            body = document
        elif isinstance(document, Mapping):
            try:
                body = orjson.dumps(dict(document))
            except TypeError as exc:
                raise InvalidRequest(
                    f"the configuration cannot be written as JSON: {exc}"
                ) from None
            kind = "application/json"
        else:
            raise InvalidRequest(
                f"give the configuration as text, bytes, a mapping or a path, not {type(document).__name__}"
            )
        response = self._call("PUT", "/v1/config", content=body, kind=kind, retry=True)
        return self._read(response, "PUT", "/v1/config", ConfigVersion.from_json)

    def config(self) -> ConfigVersion:
        """The current configuration (``GET /v1/config``); not for customer-scoped tokens."""
        return self._get("/v1/config", ConfigVersion.from_json)

    def config_versions(self) -> list[ConfigVersionSummary]:
        """Every stored configuration version, newest first."""
        return self._get("/v1/config/versions", _each(ConfigVersionSummary.from_json))

    def config_version(self, version: int) -> ConfigVersion:
        """One stored configuration version (:class:`NotFound` when there is none)."""
        return self._get(f"/v1/config/versions/{int(version)}", ConfigVersion.from_json)

    def post_events(
        self,
        events: Iterable[Mapping[str, Any]],
        *,
        batch_size: int = DEFAULT_BATCH,
        on_batch: Callable[[IngestResult], None] | None = None,
    ) -> IngestResult:
        """Send ticket events (SPEC §4) in batches of ``batch_size``; agent or admin token.

        ``events`` may be any iterable (a generator reading a file is read one batch at a time);
        values may be datetimes (aware; written in RFC 3339). The server stores each batch whole
        or not at all, and ignores events it already has (same id, same content), so sending
        again is safe. Returns the results summed over the batches (after a retry, events the
        lost answer had stored count as duplicates); ``on_batch`` is called with the running sum
        after each batch. A refused batch raises :class:`EventsRejected`: its
        issues say ``events[i]`` with ``i`` counted over everything given (``Issue.event``), and
        it tells what the batches before stored.
        """
        if not 1 <= batch_size <= MAX_BATCH:
            raise InvalidRequest(f"batch_size must be from 1 to {MAX_BATCH}, not {batch_size}")
        total = IngestResult()
        batch: list[Any] = []
        first = 0
        for event in events:
            batch.append(event)
            if len(batch) >= batch_size:
                total = self._post_batch(batch, first, total, on_batch)
                first += len(batch)
                batch = []
        if batch:
            total = self._post_batch(batch, first, total, on_batch)
        return total

    def clocks(self, ticket: str, *, at: Instant | None = None) -> list[Clock]:
        """The ticket's clocks at ``at`` (default: the server's now), exactly as
        ``slakeeper evaluate`` computes them; :class:`NotFound` for an unknown ticket."""
        params = _params(at=at)
        return self._get(
            f"/v1/tickets/{_segment(ticket, 'ticket')}/clocks", _each(Clock.from_json), params
        )

    def list_clocks(
        self,
        *,
        status: str | None = None,
        breached: bool | None = None,
        policy: str | None = None,
        customer: str | None = None,
        service: str | None = None,
        group: str | None = None,
        metric: str | None = None,
        due_after: Instant | None = None,
        due_before: Instant | None = None,
        page_size: int = 500,
    ) -> Iterator[Clock]:
        """Every stored clock matching the filters, in (ticket, metric, cycle) order, following
        the server's pages (``page_size`` clocks a request, 1 to 1000) as the iterator is read."""
        params = _params(
            status=status,
            breached=breached,
            policy=policy,
            customer=customer,
            service=service,
            group=group,
            metric=metric,
            due_after=due_after,
            due_before=due_before,
        )
        return self._pages("/v1/clocks", params, "clocks", Clock.from_json, page_size)

    def at_risk(
        self, within: timedelta | str = "30m", *, limit: int = 100, min_risk: float | None = None
    ) -> AtRisk:
        """Running clocks due within ``within`` (``timedelta`` or ``"30m"``, ``"1h30m"``) of the
        server's now — and with ``min_risk``, those whose breach risk is at least that — soonest
        first, at most ``limit`` (1 to 1000)."""
        params = {"within": _duration(within), "limit": str(limit)}
        if min_risk is not None:
            params["min_risk"] = str(min_risk)
        return self._get("/v1/at-risk", AtRisk.from_json, params)

    def alerts(
        self,
        *,
        ticket: str | None = None,
        customer: str | None = None,
        kind: str | None = None,
        late: bool | None = None,
        delivery: str | None = None,
        fired_after: Instant | None = None,
        fired_before: Instant | None = None,
        page_size: int = 100,
    ) -> Iterator[Alert]:
        """Fired alerts, newest first, with their deliveries, following the pages as the iterator
        is read (take the first few with ``itertools.islice``). ``kind``: warning, breach or
        escalation; ``delivery``: pending, delivered, dead (the dead-letter list) or skipped."""
        params = _params(
            ticket=ticket,
            customer=customer,
            kind=kind,
            late=late,
            delivery=delivery,
            fired_after=fired_after,
            fired_before=fired_before,
        )
        return self._pages("/v1/alerts", params, "alerts", Alert.from_json, page_size)

    def retry_delivery(self, delivery_id: int) -> Delivery:
        """Send a dead (or skipped) delivery again at once (the worker picks it up); sent once."""
        path = f"/v1/deliveries/{int(delivery_id)}/retry"
        response = self._call("POST", path, retry=False)
        return self._read(response, "POST", path, Delivery.from_json)

    def compliance(
        self,
        *,
        by: str | Sequence[str] = ("metric",),
        period: str = "month",
        tz: str = "UTC",
        since: Instant | None = None,
        until: Instant | None = None,
        metric: str | None = None,
        policy: str | None = None,
        priority: str | None = None,
        group: str | None = None,
        customer: str | None = None,
        service: str | None = None,
        channel: str | None = None,
        assignee: str | None = None,
    ) -> list[ComplianceRow]:
        """SLA compliance and breach rate of the judged clocks grouped ``by`` dimensions (metric,
        policy, priority, group, assignee, customer, service, channel, period), periods of
        ``period`` in zone ``tz``, due in ``[since, until)``, of the clocks with the values given
        (docs/metrics.md)."""
        dims = [d.strip() for d in (by.split(",") if isinstance(by, str) else by) if d.strip()]
        params = _params(
            by=",".join(dims),
            period=period,
            tz=tz,
            metric=metric,
            policy=policy,
            priority=priority,
            group=group,
            customer=customer,
            service=service,
            channel=channel,
            assignee=assignee,
        )
        params.update(_params(**{"from": since, "to": until}))
        return self._get(
            "/v1/reports/compliance", _each(lambda row: ComplianceRow.from_json(row, dims)), params
        )

    def post_incident(
        self,
        incident_id: str,
        service: str,
        start: Instant,
        *,
        end: Instant | None = None,
        impact: str = "major",
        title: str = "",
        components: Sequence[str] = (),
    ) -> Incident:
        """Record a service incident (``end`` None while it is open); agent or admin token.
        Sending the same incident again is a replay: ``created`` is then False."""
        body: dict[str, Any] = {
            "id": incident_id,
            "service": service,
            "impact": impact,
            "start": _instant(start, "start"),
            "title": title,
            "components": list(components),
        }
        if end is not None:
            body["end"] = _instant(end, "end")
        response = self._call(
            "POST", "/v1/incidents", content=orjson.dumps(body), kind="application/json", retry=True
        )
        created = response.status_code == 201
        return self._read(
            response, "POST", "/v1/incidents", lambda d: Incident.from_json(d, created)
        )

    def incident(self, incident_id: str) -> Incident:
        """One incident as it stands now."""
        return self._get(f"/v1/incidents/{_segment(incident_id, 'incident')}", Incident.from_json)

    def availability(
        self, service: str, *, period: str | None = None, objective: str | None = None
    ) -> Availability:
        """Uptime, error budget and signals of a service's objective (its first by default) over
        a calendar period (``2026-10``, ``2026-Q4``, ``2026``; default: the current one)."""
        params = _params(period=period, objective=objective)
        return self._get(
            f"/v1/availability/{_segment(service, 'service')}", Availability.from_json, params
        )

    def customers(self) -> Directory:
        """The CRM directory: customers (with their effective attributes) and organisations."""
        return self._get("/v1/customers", Directory.from_json)

    def customer(self, customer_id: str) -> Customer:
        return self._get(f"/v1/customers/{_segment(customer_id, 'customer')}", Customer.from_json)

    def put_customer(
        self,
        customer_id: str,
        *,
        name: str | None = None,
        organisation: str | None = None,
        attributes: Mapping[str, str | int | float] | None = None,
        contract_start: date | None = None,
        contract_end: date | None = None,
        organisation_record: bool = False,
    ) -> CustomersChanged:
        """Add or replace one customer (an organisation with ``organisation_record``); admin
        token. A new configuration version; the customer's open clocks are re-derived."""
        body: dict[str, Any] = {"attributes": dict(attributes or {})}
        if name is not None:
            body["name"] = name
        if organisation is not None:
            body["organisation"] = organisation
        if contract_start is not None or contract_end is not None:
            body["contract"] = {
                "start": contract_start.isoformat() if contract_start else None,
                "end": contract_end.isoformat() if contract_end else None,
            }
        kind = "organisations" if organisation_record else "customers"
        path = f"/v1/{kind}/{_segment(customer_id, kind[:-1])}"
        response = self._call(
            "PUT", path, content=orjson.dumps(body), kind="application/json", retry=True
        )
        return self._read(response, "PUT", path, CustomersChanged.from_json)

    def sync_customers(
        self,
        customers: Sequence[Mapping[str, Any]] | str = (),
        organisations: Sequence[Mapping[str, Any]] = (),
        *,
        replace: bool = False,
    ) -> CustomersChanged:
        """A sync from the CRM, all or nothing: entries as the configuration writes them
        (``{id, name, organisation, attributes, contract}``), or a CRM export's CSV text (column
        ``id``; every column but name, organisation, contract_start, contract_end an attribute);
        merged by id, or the whole directory with ``replace``. Admin token. Retried: the same
        sync twice changes nothing the second time."""
        if isinstance(customers, str):
            content, kind = customers.encode(), "text/csv"
            params = _params(replace="true" if replace else None)
        else:
            body = {
                "customers": [dict(c) for c in customers],
                "organisations": [dict(o) for o in organisations],
                "replace": replace,
            }
            content, kind, params = orjson.dumps(body), "application/json", {}
        response = self._send("POST", "/v1/customers", params, content, kind, True)
        self._check(response, "POST", "/v1/customers")
        return self._read(response, "POST", "/v1/customers", CustomersChanged.from_json)

    def delete_customer(self, customer_id: str) -> CustomersChanged:
        """Remove a customer (admin token); its tickets no longer match its attributes."""
        path = f"/v1/customers/{_segment(customer_id, 'customer')}"
        response = self._call("DELETE", path, retry=False)
        return self._read(response, "DELETE", path, CustomersChanged.from_json)

    def create_token(self, name: str, role: str, *, customer: str | None = None) -> CreatedToken:
        """A new API token (admin token); ``role``: admin, agent or viewer. Sent once."""
        body = {"name": name, "role": role, "customer": customer}
        response = self._call(
            "POST", "/v1/tokens", content=orjson.dumps(body), kind="application/json", retry=False
        )
        return self._read(response, "POST", "/v1/tokens", CreatedToken.from_json)

    def revoke_token(self, token_id: int) -> None:
        """Revoke a token; it stops working at once (admin token). Sent once."""
        self._call("DELETE", f"/v1/tokens/{int(token_id)}", retry=False)

    # -- the machinery -----------------------------------------------------------------------------

    def _post_batch(
        self,
        batch: list[Any],
        first: int,
        total: IngestResult,
        on_batch: Callable[[IngestResult], None] | None,
    ) -> IngestResult:
        items = [
            dict(e) if isinstance(e, Mapping) and not isinstance(e, dict) else e for e in batch
        ]
        try:
            body = orjson.dumps(items, option=orjson.OPT_UTC_Z)
        except TypeError:
            issues = _unwritable(items, first)
            error = InvalidRequest("some events cannot be written as JSON", issues=issues)
            raise EventsRejected(error, issues, total, first) from None
        try:
            response = self._call(
                "POST", "/v1/events", content=body, kind="application/json", retry=True
            )
        except InvalidRequest as exc:
            raise EventsRejected(
                exc, [_shifted(i, first) for i in exc.issues], total, first
            ) from None
        done = self._read(
            response, "POST", "/v1/events", lambda d: IngestResult.from_json(d, len(batch))
        )
        total = total + done
        if on_batch is not None:
            on_batch(total)
        return total

    def _pages(
        self,
        path: str,
        params: dict[str, str],
        key: str,
        parse: Callable[[Mapping[str, Any]], T],
        page_size: int,
    ) -> Iterator[T]:
        if not 1 <= page_size <= 1000:
            raise InvalidRequest(f"page_size must be from 1 to 1000, not {page_size}")

        def pages() -> Iterator[T]:
            cursor: str | None = None
            while True:
                query = {**params, "limit": str(page_size)}
                if cursor is not None:
                    query["cursor"] = cursor
                items, cursor = self._get(path, lambda d: _page(d, key, parse), query)
                yield from items
                if cursor is None:
                    return

        return pages()

    def _get(
        self,
        path: str,
        parse: Callable[[Any], T],
        params: Mapping[str, str] | None = None,
    ) -> T:
        response = self._call("GET", path, params=params, retry=True)
        return self._read(response, "GET", path, parse)

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        content: bytes | None = None,
        kind: str | None = None,
        retry: bool,
    ) -> httpx.Response:
        response = self._send(method, path, params, content, kind, retry)
        self._check(response, method, path)
        return response

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        content: bytes | None,
        kind: str | None,
        retry: bool,
    ) -> httpx.Response:
        headers = {"Content-Type": kind} if kind is not None else None
        tries = 1 + (self.retries if retry else 0)
        for attempt in range(tries):
            last = attempt == tries - 1
            try:
                response = self._http.request(
                    method, path, params=params, content=content, headers=headers
                )
            except httpx.TimeoutException:
                if last:
                    raise Unreachable(
                        f"the server at {self.base_url} did not answer {method} {path} within "
                        f"{self.timeout:g} s",
                        method=method,
                        url=self.base_url + path,
                    ) from None
            except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                if last:
                    raise self._unreachable(exc, method, path) from None
            except httpx.UnsupportedProtocol as exc:
                raise InvalidRequest(f"the server URL {self.base_url!r}: {exc}") from None
            except httpx.TransportError as exc:  # a proxy, or a request h11 cannot write
                raise self._unreachable(exc, method, path) from None
            except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
                raise SlakeeperError(
                    f"{method} {path} to {self.base_url} failed: {exc}", method=method
                ) from None
            else:
                if response.status_code not in RETRY_STATUSES or last:
                    return response
                wait = _retry_after(response)
                if wait is not None:
                    time.sleep(wait)
                    continue
            time.sleep(min(self.backoff * 2**attempt, 5.0))
        raise AssertionError("not reached")  # pragma: no cover

    def _unreachable(self, exc: Exception, method: str, path: str) -> Unreachable:
        reason = _ERRNO.sub("", str(exc)).strip() or type(exc).__name__
        reason = reason[:1].lower() + reason[1:]
        if isinstance(exc, httpx.ConnectError):
            text = (
                f"cannot connect to the server at {self.base_url} ({reason}); is slakeeper "
                "running there, and is the URL right?"
            )
        else:
            text = f"the connection to the server at {self.base_url} failed during {method} {path} ({reason})"
        return Unreachable(text, message=reason, method=method, url=self.base_url + path)

    def _check(self, response: httpx.Response, method: str, path: str) -> None:
        status = response.status_code
        if status < 400:
            return
        message, issues = _problem(response)
        where = f"{method} {path}"
        facts: dict[str, Any] = {
            "status": status,
            "message": message,
            "issues": issues,
            "method": method,
            "url": str(response.request.url),
        }
        server = f"the server at {self.base_url}"
        if status == 401:
            raise AuthError(f"{server} refused the token (401): {message}", **facts)
        if status == 403:
            raise AuthError(f"{server} does not let this token {where} (403): {message}", **facts)
        if status == 404:
            raise NotFound(f"not found at {self.base_url} (404): {message}", **facts)
        if status in _REFUSED:
            raise InvalidRequest(f"{server} refused {where} ({status}): {message}", **facts)
        if status >= 500:
            raise ServerError(f"{server} failed on {where} ({status}): {message}", **facts)
        raise SlakeeperError(f"{server} answered {where} with {status}: {message}", **facts)

    def _read(
        self, response: httpx.Response, method: str, path: str, parse: Callable[[Any], T]
    ) -> T:
        try:
            data = response.json()
        except ValueError:
            raise UnexpectedResponse(
                f"the server at {self.base_url} answered {method} {path} with something that "
                f"is not JSON ({response.headers.get('content-type', 'no content type')}); is "
                "it a slakeeper server?",
                status=response.status_code,
                method=method,
                url=str(response.request.url),
            ) from None
        try:
            return parse(data)
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise UnexpectedResponse(
                f"the server at {self.base_url} answered {method} {path} with JSON this client "
                f"cannot read ({exc}); is it a slakeeper server of this version?",
                status=response.status_code,
                method=method,
                url=str(response.request.url),
            ) from None


# -- helpers ---------------------------------------------------------------------------------------


def _each(parse: Callable[[Mapping[str, Any]], T]) -> Callable[[Any], list[T]]:
    def parse_all(data: Any) -> list[T]:
        if not isinstance(data, list):
            raise TypeError(f"expected a JSON list, got {type(data).__name__}")
        return [parse(item) for item in data]

    return parse_all


def _page(
    data: Any, key: str, parse: Callable[[Mapping[str, Any]], T]
) -> tuple[list[T], str | None]:
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise TypeError(f"expected a page of {key}")
    cursor = data.get("next_cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise TypeError("next_cursor must be a text")
    return [parse(item) for item in data[key]], cursor


def _instant(value: Instant, name: str) -> str:
    if isinstance(value, datetime):
        try:
            return format_instant(value)
        except ValueError as exc:
            raise InvalidRequest(f"{name}: {exc}") from None
    if isinstance(value, str):
        return value
    raise InvalidRequest(f"{name}: give an aware datetime or RFC 3339 text, not {value!r}")


def _params(**values: object) -> dict[str, str]:
    """Query parameters: None left out, booleans as true/false, datetimes in RFC 3339."""
    out: dict[str, str] = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, datetime):
            out[name] = _instant(value, name)
        else:
            out[name] = str(value)
    return out


def _duration(value: timedelta | str) -> str:
    if isinstance(value, str):
        return value
    if not isinstance(value, timedelta):
        raise InvalidRequest(f"within: give a timedelta or text like '30m', not {value!r}")
    if value <= timedelta(0) or value.microseconds:
        raise InvalidRequest(f"within: {value} must be a positive whole number of seconds")
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    return text + (f"{secs}s" if secs else "")


def _segment(value: str, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidRequest(f"{name}: give a non-empty text, not {value!r}")
    return quote(value, safe="")


def _problem(response: httpx.Response) -> tuple[str, list[Issue]]:
    """The server's ``{"error": ..., "issues": [{"where", "message"}]}``, or what there is."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        issues = []
        for item in body.get("issues") or ():
            if isinstance(item, dict):
                issues.append(Issue(str(item.get("where") or ""), str(item.get("message") or "")))
        return body["error"], issues
    text = " ".join(response.text.split())[:200]
    return text or response.reason_phrase or "no reason given", []


def _shifted(issue: Issue, first: int) -> Issue:
    """``events[i] ('e5')`` of a batch -> the same counted over every event given."""
    match = _EVENT_LABEL.match(issue.where)
    if match is None:
        return issue
    index = int(match.group(1)) + first
    return Issue(f"events[{index}]{issue.where[match.end() :]}", issue.message, index)


def _unwritable(items: list[Any], first: int) -> list[Issue]:
    issues = []
    for number, item in enumerate(items):
        try:
            orjson.dumps(item, option=orjson.OPT_UTC_Z)
        except TypeError as exc:
            index = first + number
            issues.append(Issue(f"events[{index}]", f"cannot be written as JSON: {exc}", index))
    return issues


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if 0 <= seconds <= 5 else None
