"""Alerts: Block Kit payloads, topics, routing, and delivery to a local Slack imitation."""
