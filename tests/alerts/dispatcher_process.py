"""One Slack dispatch pass in a process of its own, so a test can kill it mid-delivery.

Usage: python -m tests.alerts.dispatcher_process DATABASE_URL SLACK_SETTINGS_JSON
(the token comes from $SLACK_BOT_TOKEN, as in production).
"""

from __future__ import annotations

import json
import sys

from crawler.alerts.dispatch import dispatch_all
from crawler.app_config import AppConfig
from storage.db import make_engine


def main() -> None:
    database_url, settings = sys.argv[1], json.loads(sys.argv[2])
    dispatch_all(make_engine(database_url), AppConfig.model_validate({"slack": settings}))


if __name__ == "__main__":
    main()
