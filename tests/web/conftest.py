"""The web app on a real uvicorn server on 127.0.0.1, over a database seeded through the
project's own storage functions (SQLite file and, where it answers, PostgreSQL)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import uvicorn
from sqlalchemy import Engine
from starlette.applications import Starlette

from crawler.items import Attachment
from crawler.items import PublicationItem as Item
from crawler.pipelines.store import store_publication_item
from crawler.sources import SourceConfig
from crawler.web.app import create_app
from crawler.web.settings import WebSettings
from storage.db import transaction
from storage.models import AlertOutbox, utcnow
from storage.runs import RunRecord, finish_run, start_run
from storage.sources import sync_sources
from tests.crawling import make_source

XSS_TITLE = "Budget <script>alert('x')</script> and <img src=x onerror=alert(1)> report"

SEED: list[dict[str, Any]] = [
    {"source_id": "jp_meti", "title": "半導体産業の新たな戦略について", "language": "ja",
     "country": "JP", "publisher": "経済産業省", "doc_type": "press_release",
     "topics": ["semiconductors"], "published": date(2026, 11, 20),
     "summary": "経済産業省は半導体の供給網を強化する。"},
    {"source_id": "jp_meti", "title": "蓄電池の安全基準を改正", "language": "ja", "country": "JP",
     "publisher": "経済産業省", "doc_type": "notice", "topics": [], "published": date(2026, 11, 18)},
    {"source_id": "cn_miit", "title": "关于人工智能产业发展的指导意见", "language": "zh",
     "country": "CN", "publisher": "工业和信息化部", "doc_type": "policy", "topics": ["AI"],
     "published": date(2026, 11, 25), "summary": "推动人工智能与制造业融合。"},
    {"source_id": "kr_msit", "title": "반도체 수출 규제 강화 방안 발표", "language": "ko",
     "country": "KR", "publisher": "과학기술정보통신부", "doc_type": "press_release",
     "topics": ["semiconductors"], "published": date(2026, 11, 22)},
    {"source_id": "de_bmwk", "title": "Förderprogramm für Künstliche Intelligenz gestartet",
     "language": "de", "country": "DE", "publisher": "BMWK", "doc_type": "press_release",
     "topics": ["AI"], "published": date(2026, 11, 15),
     "summary": "Das Ministerium fördert Halbleiter und KI."},
    {"source_id": "us_ftc", "title": "FTC announces rule on AI transparency", "language": "en",
     "country": "US", "publisher": "Federal Trade Commission", "doc_type": "press_release",
     "topics": ["AI"], "published": datetime(2026, 11, 28, 15, 30, tzinfo=UTC),
     "summary": "The rule covers semiconductor-powered chatbots.",
     "attachments": [Attachment(url="https://www.ftc.gov/rule.pdf", title="The rule",
                                media_type="application/pdf", size=12345)]},
    {"source_id": "us_ftc", "title": XSS_TITLE, "language": "en", "country": "US",
     "publisher": "Federal Trade Commission", "doc_type": "report", "topics": ["budget"],
     "published": date(2026, 10, 1), "summary": "<b>bold</b> claims & more"},
    {"source_id": "us_ftc", "title": "Undated staff note", "language": "en", "country": "US",
     "publisher": "Federal Trade Commission", "doc_type": "notice", "topics": [],
     "published": None},
]  # fmt: skip

SOURCE_IDS = sorted({entry["source_id"] for entry in SEED})


@dataclass
class Seeded:
    engine: Engine
    ids: dict[str, int]  # title → publication id


def seed(engine: Engine) -> Seeded:
    """Store :data:`SEED` as crawls would: a run per source, alerts to the console, one
    delivered alert and one that failed for good."""
    ids: dict[str, int] = {}
    with transaction(engine) as session:
        sync_sources(session, [(source_id, source_id) for source_id in SOURCE_IDS])
        runs = {sid: start_run(session, sid, is_baseline=False) for sid in SOURCE_IDS}
        for entry in SEED:
            url = f"https://example.org/{entry['source_id']}/{len(ids)}"
            item = Item(url=url, **entry)
            result = store_publication_item(
                session, item, run_id=runs[entry["source_id"]], destinations=["console"]
            )
            assert result.publication_id is not None
            ids[entry["title"]] = result.publication_id
        for sid, run_id in runs.items():
            count = sum(1 for entry in SEED if entry["source_id"] == sid)
            finish_run(session, run_id, RunRecord("ok", {"200": 1}, count, count, 0, None))
    with transaction(engine) as session:
        rows = {row.publication_id: row for row in session.query(AlertOutbox)}
        delivered = rows[ids["FTC announces rule on AI transparency"]]
        delivered.status, delivered.attempts = "sent", 1
        delivered.sent_at = delivered.created_at + timedelta(seconds=42)
        delivered.message_ref = "console"
        failed = rows[ids["半導体産業の新たな戦略について"]]
        failed.status, failed.attempts, failed.last_error = "failed", 3, "channel_not_found"
    return Seeded(engine, ids)


def sources_config() -> dict[str, SourceConfig]:
    return {
        sid: make_source(id=sid, name=sid, urls=[f"https://example.org/{sid}/feed"])
        for sid in SOURCE_IDS
    }


@contextmanager
def serve(app: Starlette) -> Iterator[str]:
    """Run ``app`` on a real uvicorn server on a free 127.0.0.1 port; yield its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def seeded(engine: Engine) -> Seeded:
    return seed(engine)


@pytest.fixture
def site(seeded: Seeded) -> Iterator[str]:
    """The app on loopback (reading needs no login) over the seeded database."""
    app = create_app(seeded.engine, sources_config, WebSettings(host="127.0.0.1"))
    with serve(app) as base:
        yield base


def now() -> datetime:
    return utcnow()
