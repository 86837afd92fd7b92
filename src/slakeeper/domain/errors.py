"""One tree of errors for all of slakeeper.

Every error that reaches a user is an :class:`InvalidInput` carrying one :class:`Issue` per problem,
each naming *where* (a path inside a document, or a line of a file) and *what* is wrong. Errors about
bad values are also ``ValueError`` so that callers of the public API can catch them as such.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem: ``where`` is a path (``policies[2].targets.resolution``) or a line label."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class SlakeeperError(Exception):
    """Base of every error slakeeper raises on purpose."""


class InvalidInput(SlakeeperError, ValueError):
    """Input that cannot be used; holds every :class:`Issue` found, not just the first."""

    def __init__(self, issues: Iterable[Issue] | str, source: str | None = None) -> None:
        if isinstance(issues, str):
            issues = [Issue("", issues)]
        self.issues: tuple[Issue, ...] = tuple(issues)
        self.source = source
        super().__init__(self._text())

    def _text(self) -> str:
        prefix = f"{self.source}: " if self.source else ""
        return "\n".join(prefix + str(issue) for issue in self.issues)

    def with_source(self, source: str, prefix: str = "") -> InvalidInput:
        """The same error located in ``source`` (a file name), paths prefixed with ``prefix``."""
        issues = [Issue(_join(prefix, i.where), i.message) for i in self.issues]
        return type(self)(issues, source=source)

    def lines(self) -> list[str]:
        """One line per issue, each naming the source, the place and the problem."""
        prefix = f"{self.source}: " if self.source else ""
        return [prefix + str(issue) for issue in self.issues]


def _join(prefix: str, where: str) -> str:
    if not prefix:
        return where
    if not where:
        return prefix
    return prefix + where if where.startswith("[") else f"{prefix}.{where}"


class CalendarError(InvalidInput):
    """A calendar specification that is not valid."""


class ConfigError(InvalidInput):
    """An SLA configuration that is not valid."""


class EventError(InvalidInput):
    """Ticket events that are not valid."""


class InvalidArgument(SlakeeperError, ValueError):
    """A bad argument to a domain function (a naive datetime, a negative duration, ...)."""


class CalendarNeverOpens(InvalidArgument):
    """``add`` was asked for business time on a calendar that has none."""
