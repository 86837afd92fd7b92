"""Channels that deliver alerts: webhook, Slack, Microsoft Teams, WhatsApp and email."""
