"""A dispatcher of its own: delivery passes until its stop file appears.

Usage: python -m tests.cluster.dispatch_loop DATABASE_URL SLACK_SETTINGS_JSON STOP_FILE
(the token comes from $SLACK_BOT_TOKEN, as in production).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from crawler.alerts.dispatch import dispatch_all
from crawler.app_config import AppConfig
from storage.db import make_engine


def main() -> None:
    database_url, settings, stop = sys.argv[1], json.loads(sys.argv[2]), Path(sys.argv[3])
    engine = make_engine(database_url)
    config = AppConfig.model_validate({"slack": settings})
    while not stop.exists():
        dispatch_all(engine, config)
        time.sleep(0.05)
    dispatch_all(engine, config)


if __name__ == "__main__":
    main()
