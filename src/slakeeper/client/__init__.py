"""A typed Python client for a slakeeper server's HTTP API.

```python
from slakeeper.client import Client

with Client("http://127.0.0.1:8000", token) as api:
    api.put_config(Path("sla.yaml"))
    api.post_events(events)                  # batches, idempotent by event id
    for clock in api.clocks("T-1"):
        print(clock.metric, clock.status, clock.due_at)
```

See :class:`Client` for the methods, the errors they raise and which requests are retried.
"""

from slakeeper.client._client import (
    DEFAULT_BATCH,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    Client,
    Instant,
)
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
    Attempt,
    Availability,
    AvailabilitySignal,
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
    Risk,
    format_instant,
    parse_instant,
)

__all__ = [
    "DEFAULT_BATCH",
    "DEFAULT_RETRIES",
    "DEFAULT_TIMEOUT",
    "Alert",
    "AtRisk",
    "Attempt",
    "AuthError",
    "Availability",
    "AvailabilitySignal",
    "Client",
    "Clock",
    "ComplianceRow",
    "ConfigVersion",
    "ConfigVersionSummary",
    "CreatedToken",
    "Customer",
    "CustomersChanged",
    "Delivery",
    "Directory",
    "EventsRejected",
    "Health",
    "Incident",
    "IngestResult",
    "Instant",
    "InvalidRequest",
    "Issue",
    "NotFound",
    "Risk",
    "ServerError",
    "SlakeeperError",
    "UnexpectedResponse",
    "Unreachable",
    "format_instant",
    "parse_instant",
]
