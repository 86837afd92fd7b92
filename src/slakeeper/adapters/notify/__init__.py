"""Channels that deliver alerts: webhook (signed) now; Slack, Teams, WhatsApp and email next."""
