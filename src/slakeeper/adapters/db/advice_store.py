"""The store's reads for advice over the stored history (``docs/whatif.md``): which tickets to
replay (mixed into :class:`~slakeeper.adapters.db.store.SqlStore`)."""

from __future__ import annotations

from sqlalchemy import Connection, select

from slakeeper.adapters.db import tables as t


class AdviceStore:
    connection: Connection

    def ticket_ids(self, customer: str | None) -> list[str]:
        """Every stored ticket's id, sorted — closed tickets and those no policy applied to
        included; with ``customer``, those that have ever had that customer (its events'
        ``customer``), as :meth:`open_tickets` selects them."""
        if customer is None:
            query = select(t.tickets.c.id).order_by(t.tickets.c.id)
        else:
            c = t.ticket_customers.c
            query = select(c.ticket).where(c.customer == customer).order_by(c.ticket)
        return list(self.connection.execute(query).scalars())
