"""slakeeper: SLA management — business calendars, SLA clocks, breaches and reports."""

__version__ = "0.1.0"
