"""Real HTTP servers for the tests: saved pages (``pages.py``), a Slack Web API imitation."""
