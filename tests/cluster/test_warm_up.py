"""A worker imports the crawl machinery before it takes a job, so its first crawl does not
block the event loop (and Procrastinate's heartbeats on it) for seconds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A fresh interpreter: in the test process these modules are long imported.
PROBE = """
import json, sys
from sqlalchemy import create_engine
from crawler.app_config import AppConfig
from crawler.service.workers import warm_up
from tests.crawling import make_source

wanted = ["crawler.pipelines.normalize", "crawler.pipelines.topics",
          "crawler.middlewares.host_politeness", "spiders.feed", "spiders.list_page"]
before = [name for name in wanted if name in sys.modules]
sources = {s.id: s for s in (
    make_source(id="xx_feed", urls=["http://127.0.0.1:9/feed.xml"]),
    make_source(id="xx_list", kind="list_page", urls=["http://127.0.0.1:9/list"],
                list={"item": "li", "title": "a", "link": "a::attr(href)"}),
)}
warm_up(sources, AppConfig(), create_engine("postgresql+psycopg://u@127.0.0.1:9/none"))
print(json.dumps({"before": before, "after": [n for n in wanted if n in sys.modules]}))
"""


def test_a_worker_imports_its_pipelines_middlewares_and_spiders_before_taking_jobs() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["before"] == []
    assert seen["after"] == [
        "crawler.pipelines.normalize",
        "crawler.pipelines.topics",
        "crawler.middlewares.host_politeness",
        "spiders.feed",
        "spiders.list_page",
    ]
