"""Send a help desk's ticket events to slakeeper and read the clocks back.

The Python step of "Integrate in ten minutes" (README.md); run it with SLAKEEPER_URL and
SLAKEEPER_TOKEN set, after `slakeeper remote config push sla.yaml`:

    python examples/integrate.py

tests/e2e/test_client.py checks that the README shows this code and runs it against a server.
"""

import os
from datetime import UTC, datetime, timedelta

from slakeeper.client import Client, InvalidRequest

now = datetime.now(UTC).replace(microsecond=0)
events = [  # what the help desk saw happen, as SPEC §4 events (datetimes must be aware)
    {"id": "desk-1001-new", "ticket": "DESK-1001", "type": "ticket.created",
     "at": now - timedelta(minutes=25), "priority": "urgent", "customer": "acme"},
    {"id": "desk-1002-new", "ticket": "DESK-1002", "type": "ticket.created",
     "at": now - timedelta(hours=3), "priority": "high", "customer": "globex"},
    {"id": "desk-1002-reply", "ticket": "DESK-1002", "type": "comment.added",
     "at": now - timedelta(hours=2), "author": "agent"},
]  # fmt: skip

with Client(os.environ["SLAKEEPER_URL"], os.environ["SLAKEEPER_TOKEN"]) as slakeeper:
    try:  # in batches; each is stored whole or refused whole, and the error names each bad event
        sent = slakeeper.post_events(events)
        print(f"{sent.accepted} new events, {sent.duplicates} already stored")
    except InvalidRequest as error:  # e.g. when run again: the same ids at other times
        for issue in error.issues:
            print("refused:", issue)

    for clock in slakeeper.clocks("DESK-1001"):
        print(f"{clock.metric}: {clock.status}, due {clock.due_at:%H:%M} UTC")

    for clock in slakeeper.at_risk(timedelta(hours=1)).clocks:
        print(f"at risk: {clock.ticket} {clock.metric} due {clock.due_at:%H:%M} UTC")
