"""Live routing advice: who should take a ticket now, from the roster (docs/routing.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from slakeeper.domain.events import format_instant
from slakeeper.entrypoints.api.deps import Forbidden, PrincipalDep, ServicesDep, instant
from slakeeper.entrypoints.api.errors import responses
from slakeeper.service.routing_advice import AgentAdvice, TicketAdvice, ticket_advice
from slakeeper.service.tokens import Principal

router = APIRouter(prefix="/v1", tags=["routing"])
AtQuery = Annotated[str | None, Query(description="RFC 3339 instant; default: now", max_length=64)]


class RankedAgentPublic(BaseModel):
    """One agent of the roster, ranked for the ticket."""

    name: str = Field(description="the agent as tickets name them in `assignee`")
    rank: int = Field(description="1 = best; agents without the skill come last")
    score: float | None = Field(
        description="the expected SLA time lost with this agent as a share of the targets "
        "(0.25 = a quarter of a target), lower is better; null without the skill"
    )
    skilled: bool = Field(
        description="has a skill for the ticket's group, service, category or tag"
    )
    on_shift: bool = Field(description="their calendar is open at `at`")
    available: bool = Field(description="skilled, on shift and with a free place: may take it now")
    load: int = Field(description="open tickets assigned to them now (this ticket not counted)")
    capacity: int = Field(description="tickets they work at once")
    starts_at: str | None = Field(
        description="when they could take the ticket: `at`, or their next shift; null when "
        "unknown (no free place) or without the skill"
    )
    reasons: list[str] = Field(description="why this rank, in words (docs/routing.md)")

    @classmethod
    def of(cls, agent: AgentAdvice) -> RankedAgentPublic:
        return cls(
            name=agent.name,
            rank=agent.rank,
            score=None if agent.score is None else round(agent.score, 4),
            skilled=agent.skilled,
            on_shift=agent.on_shift,
            available=agent.available,
            load=agent.load,
            capacity=agent.capacity,
            starts_at=None if agent.starts_at is None else format_instant(agent.starts_at),
            reasons=list(agent.reasons),
        )


class AdvicePublic(BaseModel):
    """Who should take the ticket: the roster ranked by skill, shift, load and SLA slack."""

    ticket: str
    at: str = Field(description="the instant of the advice")
    status: str | None = Field(description="the ticket's status at `at`; null before it existed")
    assignee: str | None = Field(description="who has the ticket at `at`; null: nobody")
    agents: list[RankedAgentPublic] = Field(
        description="every agent of the roster, best first; empty when nobody should take it "
        "(see `note`)"
    )
    best: str | None = Field(description="the best agent free now; null when nobody is free")
    wait_for: str | None = Field(
        description="a later agent worth holding the ticket for (their shift starts at their "
        "`starts_at`); null: give it now"
    )
    reasons: list[str] = Field(description="the ticket's deadlines, in words, soonest first")
    note: str | None = Field(
        description="why `agents` is empty: no roster in the configuration, or the ticket is "
        "done or did not exist yet"
    )

    @classmethod
    def of(cls, found: TicketAdvice) -> AdvicePublic:
        return cls(
            ticket=found.ticket,
            at=format_instant(found.at),
            status=found.status or None,
            assignee=found.assignee,
            agents=[RankedAgentPublic.of(a) for a in found.agents],
            best=found.best,
            wait_for=found.wait_for,
            reasons=list(found.reasons),
            note=found.note,
        )


def _internal(who: PrincipalDep) -> Principal:
    """Advice names agents and their loads: not for tokens limited to one customer."""
    if who.customer is not None:
        raise Forbidden("routing advice names agents: not for a customer-scoped token")
    return who


InternalDep = Annotated[Principal, Depends(_internal)]


@router.get(
    "/tickets/{ticket}/advice",
    response_model=AdvicePublic,
    responses=responses(401, 403, 404, 422),
)
def get_ticket_advice(
    ticket: str, svc: ServicesDep, who: InternalDep, at: AtQuery = None
) -> AdvicePublic:
    """Who should take the ticket at ``at``: the roster's agents (`agents:` in the configuration)
    ranked by skill, shift, load and the SLA time each would cost, with the reasons. Any token
    that is not customer-scoped (403: the advice names agents)."""
    now = instant(at, "at", svc.now())
    return AdvicePublic.of(ticket_advice(svc.uow, svc.config, ticket, now, who.customer))
