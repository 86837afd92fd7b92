"""The dashboard's advice pages, for staff (``docs/whatif.md``): what a proposed SLA would have
given on the stored history beside the current one, and the targets history recommends — over
the same use cases and the same rows as ``POST /v1/whatif`` and ``GET /v1/targets``."""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from slakeeper.adapters.config_file import parse_document
from slakeeper.domain.errors import InvalidArgument, InvalidInput, Issue
from slakeeper.domain.events import format_instant
from slakeeper.domain.targets import probability
from slakeeper.entrypoints.advice_view import targets_rows, whatif_document
from slakeeper.entrypoints.api.deps import instant
from slakeeper.entrypoints.web.pages import login_first, render, services_of, who_is
from slakeeper.service.tokens import Principal
from slakeeper.service.whatif import stored_targets, stored_whatif

router = APIRouter(prefix="/ui", include_in_schema=False)
_DAY = 86_400 * 1_000_000
DEFAULT_WINDOW = 30 * _DAY  # the what-if page's default: the last 30 days (from a UTC midnight)
GOALS = ("0.8", "0.9", "0.95", "0.99")
CONFIDENCES = ("0.9", "0.95", "0.99")


def _refused(who: Principal | None) -> Response | None:
    """The anonymous log in first; a customer-scoped login is refused (403)."""
    if who is None:
        return login_first()
    if who.customer is not None:
        return render(
            "notice.html.j2", 403, title="Not allowed", who=who, error="Advice is for staff only."
        )
    return None


def _window(since: str, until: str, now: int, issues: list[Issue]) -> tuple[int | None, ...]:
    """``[from, to)`` from the form's text (empty: open); a bad end is an issue and left open."""
    found: list[int | None] = []
    for name, text in (("from", since), ("to", until)):
        try:
            found.append(instant(text.strip(), name, now) if text.strip() else None)
        except InvalidInput as exc:
            issues.extend(exc.issues)
            found.append(None)
    return tuple(found)


# -- what-if ---------------------------------------------------------------------------------------


@router.get("/whatif", response_model=None)
def whatif_page(request: Request) -> Response:
    """The form, holding the current configuration to edit and the last 30 days."""
    who = who_is(request)
    refused = _refused(who)
    if refused is not None:
        return refused
    svc = services_of(request)
    with svc.uow.read() as store:
        current = svc.config.current(store)
    return _whatif_render(
        who,
        source="" if current is None else current.source,
        since=format_instant((svc.now() - DEFAULT_WINDOW) // _DAY * _DAY),
        until="",
    )


@router.post("/whatif", response_model=None)
async def whatif_compare(request: Request) -> Response:
    """The proposal of the form judged on the stored history beside the current configuration;
    a document that is not valid is shown with every issue (422)."""
    who = who_is(request)
    refused = _refused(who)
    if refused is not None:
        return refused
    form = parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    source, since, until = ((form.get(k) or [""])[0] for k in ("source", "from", "to"))
    svc = services_of(request)
    now = svc.now()
    issues: list[Issue] = []
    start, end = _window(since, until, now, issues)
    if issues:
        return _whatif_render(who, 422, source=source, since=since, until=until, issues=issues)
    try:
        document = parse_document(source, "the proposed configuration")
        result, version = await run_in_threadpool(  # seconds on a large store: off the loop
            lambda: stored_whatif(svc.uow, svc.config, document, now, start=start, end=end)
        )
    except InvalidInput as exc:  # a YAML error or a configuration that is not valid
        return _whatif_render(
            who, 422, source=source, since=since, until=until, issues=list(exc.issues)
        )
    shown = {"baseline_version": version, **whatif_document(result)}
    return _whatif_render(who, source=source, since=since, until=until, result=shown)


def _whatif_render(who: Principal | None, status: int = 200, **context: Any) -> Response:
    context.setdefault("issues", [])
    context.setdefault("result", None)
    return render("whatif.html.j2", status, title="What if", page="/ui/whatif", who=who, **context)


# -- targets ---------------------------------------------------------------------------------------


def _share(text: str, name: str, default: str, issues: list[Issue]) -> Fraction:
    try:
        return probability(Fraction(text.strip()), name)
    except InvalidArgument as exc:
        issues.append(Issue(name, str(exc)))
    except (ValueError, ZeroDivisionError):
        issues.append(Issue(name, f"{text!r} is not a number between 0 and 1 (e.g. 0.9)"))
    return Fraction(default)


@router.get("/targets", response_model=None)
def targets_page(
    request: Request,
    goal: Annotated[str, Query(max_length=16)] = "0.9",
    confidence: Annotated[str, Query(max_length=16)] = "0.95",
    since: Annotated[str, Query(alias="from", max_length=64)] = "",
    until: Annotated[str, Query(alias="to", max_length=64)] = "",
) -> Response:
    """Per metric and priority, the target met with probability ``goal`` with its
    ``confidence`` interval and a recommendation, from the clocks started in ``[from, to)``."""
    who = who_is(request)
    refused = _refused(who)
    if refused is not None:
        return refused
    svc = services_of(request)
    now = svc.now()
    issues: list[Issue] = []
    p = _share(goal, "goal", "0.9", issues)
    c = _share(confidence, "confidence", "0.95", issues)
    start, end = _window(since, until, now, issues)
    result = None
    try:
        result = stored_targets(svc.uow, svc.config, p, c, now, start=start, end=end)
    except InvalidInput as exc:  # no configuration yet
        issues.extend(exc.issues)
    overall: list[dict[str, Any]] = []
    by_policy: list[dict[str, Any]] = []
    if result is not None:  # durations as SLA-file text; a row of every policy has policy None
        for advice, row in zip(result.advice, targets_rows(result, text=True), strict=True):
            (overall if advice.key[2] is None else by_policy).append(row)
    return render(
        "targets.html.j2",
        title="Targets",
        page="/ui/targets",
        who=who,
        goal=_text(p),
        confidence=_text(c),
        goal_label=_label(p),
        confidence_label=_label(c),
        goals=_options(GOALS, p),
        confidences=_options(CONFIDENCES, c),
        since=since,
        until=until,
        issues=issues,
        result=result,
        at=None if result is None or result.now is None else format_instant(result.now),
        overall=overall,
        by_policy=by_policy,
    )


def _text(share: Fraction) -> str:
    """0.9 as ``0.9`` (at most six decimals, as :func:`probability` admits)."""
    return f"{float(share):.6f}".rstrip("0")


def _label(share: Fraction) -> str:
    return f"{float(share) * 100:.4f}".rstrip("0").rstrip(".") + "%"


def _options(choices: tuple[str, ...], chosen: Fraction) -> list[tuple[str, str]]:
    """The choices (and the chosen value when it is another) as (value, label), in order."""
    shares = sorted({Fraction(c) for c in choices} | {chosen})
    return [(_text(s), _label(s)) for s in shares]
