"""Alerts: the outbox rows written with each new publication, delivered to sinks.

message.py (the publication view: what an alert says) → outbox.py (the one dispatcher:
pending rows → their sink, in order, retried, never lost) → sinks/ (console, Slack, Apprise:
one module each, registered by name; the destination string picks the sink).
"""
