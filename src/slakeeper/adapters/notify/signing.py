"""The ``X-Slakeeper-Signature`` scheme, for senders and for receivers that verify it.

The header is ``t=<unix seconds>,v1=<hex>`` where ``<hex>`` is HMAC-SHA256, keyed with the
shared secret, over ``"<t>." + body`` (the raw request body bytes). A receiver recomputes it,
compares in constant time, and refuses timestamps outside its tolerance (replays)::

    from slakeeper.adapters.notify.signing import verify
    verify(secret, request.headers["X-Slakeeper-Signature"], raw_body, now=time.time())
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Slakeeper-Signature"
TOLERANCE_S = 300


class BadSignature(ValueError):
    """The signature header is missing, malformed, stale or does not match."""


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(
    secret: str, header: str | None, body: bytes, now: float, tolerance: int = TOLERANCE_S
) -> None:
    """Raise :class:`BadSignature` unless ``header`` signs ``body`` with ``secret`` recently."""
    if not header:
        raise BadSignature(f"missing {HEADER} header")
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        raise BadSignature(f"malformed {HEADER}: expected t=<seconds>,v1=<hex>") from None
    if abs(now - timestamp) > tolerance:
        raise BadSignature(f"timestamp {timestamp} is outside the {tolerance} s tolerance")
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, given):
        raise BadSignature("signature does not match the body")
