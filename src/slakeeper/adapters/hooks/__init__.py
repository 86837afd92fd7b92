"""Inbound webhooks of help desks and trackers: each module verifies its source's signature and
maps its payloads to SPEC §4 events (docs/integrations.md)."""
