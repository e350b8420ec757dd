"""The long-running service: daemon, scheduler, lease, health endpoint, reactor set-up, outages.

It sits between the CLI (above) and the crawl engine (below); see docs/architecture.md.
"""
