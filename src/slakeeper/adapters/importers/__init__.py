"""History importers (docs/import.md): a help desk's export into SPEC §4 ticket events.

One module per format — ``csv_mapping`` (any CSV, through a mapping file), ``zendesk_export``,
``jira_export`` — each a reader that streams :class:`~.common.Bundle` items (one ticket's events
with the place each came from) and :class:`~.common.Problem` items (what it cannot use, where and
why). ``history`` checks each ticket's events before anything is written; ``load`` sends the good
tickets to their destination (a count, a JSON Lines file, or the store through the service's
ingest) and tallies everything.
"""
