"""Instants are written in UTC exactly as datetime.isoformat would, with Z and no trailing zeros."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from slakeeper.domain.events import format_instant, parse_instant

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MIN_US = (datetime(1, 1, 2, tzinfo=UTC) - EPOCH) // timedelta(microseconds=1)
MAX_US = (datetime(9999, 12, 30, tzinfo=UTC) - EPOCH) // timedelta(microseconds=1)


def reference(us: int) -> str:
    text = (EPOCH + timedelta(microseconds=us)).isoformat().removesuffix("+00:00")
    return (text.rstrip("0") if "." in text else text) + "Z"


@given(st.integers(min_value=MIN_US, max_value=MAX_US))
def test_format_instant_matches_isoformat(us: int) -> None:
    assert format_instant(us) == reference(us)


@given(st.integers(min_value=MIN_US, max_value=MAX_US))
def test_parse_reads_back_what_format_writes(us: int) -> None:
    assert parse_instant(format_instant(us)) == us


def test_years_before_1000_are_zero_padded() -> None:
    us = (datetime(645, 1, 26, 22, 15, 43, 64004, tzinfo=UTC) - EPOCH) // timedelta(microseconds=1)
    assert format_instant(us) == "0645-01-26T22:15:43.064004Z"
