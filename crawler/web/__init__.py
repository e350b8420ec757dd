"""``govwatch web``: the stored publications and source health, in a browser and as feeds.

A Starlette application rendered on the server with Jinja2 (autoescaped); htmx, vendored in
``static/``, only refreshes the result list while filtering. All reading goes through
``storage/publications_read.py``; nothing here writes SQL.
"""
