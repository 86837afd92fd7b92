"""The client's one exception hierarchy: every failure is a :class:`SlakeeperError`.

No ``httpx`` exception ever reaches the caller: a refused connection or a timeout is an
:class:`Unreachable`, an answer the client cannot read an :class:`UnexpectedResponse`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from slakeeper.client.models import IngestResult

__all__ = [
    "AuthError",
    "EventsRejected",
    "InvalidRequest",
    "Issue",
    "NotFound",
    "ServerError",
    "SlakeeperError",
    "UnexpectedResponse",
    "Unreachable",
]

_SHOWN_ISSUES = 5  # issues written into str(error); all of them are in .issues


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem the server found: ``where`` is a path in a document (``policies[0].targets``)
    or an event of a batch (``events[3] ('e4')``). For :meth:`Client.post_events`, ``event`` is
    the index of the event in the iterable that was given (``events[i]`` counts from there too).
    """

    where: str
    message: str
    event: int | None = None

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class SlakeeperError(Exception):
    """Base of every error of :mod:`slakeeper.client`.

    ``status`` is the HTTP status (``None`` when no answer came), ``message`` the server's own
    ``error`` text (or what went wrong on the way), ``issues`` every problem the server listed,
    ``method`` and ``url`` the request. ``str(error)`` is one line that says what is wrong.
    """

    def __init__(
        self,
        description: str,
        *,
        status: int | None = None,
        message: str = "",
        issues: Sequence[Issue] = (),
        method: str = "",
        url: str = "",
    ) -> None:
        self.description = description
        self.status = status
        self.message = message or description
        self.issues: tuple[Issue, ...] = tuple(issues)
        self.method = method
        self.url = url
        super().__init__(self._one_line())

    def _one_line(self) -> str:
        if not self.issues:
            return self.description
        shown = "; ".join(str(i) for i in self.issues[:_SHOWN_ISSUES])
        more = len(self.issues) - _SHOWN_ISSUES
        if more > 0:
            shown += f"; and {more} more"
        return f"{self.description}: {shown}"

    def lines(self) -> list[str]:
        """The description, then one line per issue (for printing)."""
        return [self.description, *(f"  {issue}" for issue in self.issues)]


class AuthError(SlakeeperError):
    """401: no token, or an unknown or revoked one; 403: the token's role or customer scope does
    not allow the request."""


class NotFound(SlakeeperError):
    """404: no such ticket, version or delivery (or not visible to this token)."""


class InvalidRequest(SlakeeperError, ValueError):
    """The request was refused as invalid (400, 413, 422), with every issue the server found; or
    an argument was refused before anything was sent (``status`` is then ``None``)."""


class EventsRejected(InvalidRequest):
    """A batch of :meth:`Client.post_events` was refused (one bad event refuses its batch).

    ``stored`` sums the batches accepted before it; ``first`` is the index of the refused batch's
    first event. Nothing from ``first`` on was stored. Events are idempotent by id, so sending
    everything again after fixing the bad event is safe.
    """

    def __init__(
        self, error: InvalidRequest, issues: Sequence[Issue], stored: IngestResult, first: int
    ) -> None:
        super().__init__(
            error.description,
            status=error.status,
            message=error.message,
            issues=issues,
            method=error.method,
            url=error.url,
        )
        self.stored = stored
        self.first = first


class ServerError(SlakeeperError):
    """5xx: the server failed (after the retries of an idempotent request)."""


class Unreachable(SlakeeperError):
    """No answer: the connection was refused or broke, the name did not resolve, or the server
    did not answer in time (after the retries of an idempotent request)."""


class UnexpectedResponse(SlakeeperError):
    """An answer this client cannot read: not JSON, or not the shape slakeeper sends (is the URL
    a slakeeper server?)."""
