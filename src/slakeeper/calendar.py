"""Public entry point for business calendars: ``from slakeeper.calendar import BusinessCalendar``."""

from slakeeper.domain.calendar import BusinessCalendar
from slakeeper.domain.errors import CalendarError, CalendarNeverOpens, InvalidArgument

__all__ = ["BusinessCalendar", "CalendarError", "CalendarNeverOpens", "InvalidArgument"]
