"""Alerts: the outbox rows written with each new publication, delivered to sinks.

outbox.py (pending rows → a sink, retries, never lost) → message.py (what an alert says)
→ console.py (the default sink) | slack.py (Slack, when a token is configured).
"""
