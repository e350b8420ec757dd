"""eu_commission_press: the press corner search API, served from its fixtures."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import Engine, select

from storage.db import transaction
from storage.models import CrawlRun
from tests.crawling import crawl, outbox_count
from tests.servers.pages import PageServer
from tests.sourcepack import ServedSource, fixture_bytes, serve_source

SOURCE_ID = "eu_commission_press"
PAGE1 = "search-page1.json"
DETAIL = "https://ec.europa.eu/commission/presscorner/detail/en/"


def only_run(engine: Engine) -> CrawlRun:
    with transaction(engine) as session:
        run = session.scalars(select(CrawlRun)).one()
        session.expunge(run)
        return run


def publish(served: ServedSource, record: dict[str, object]) -> None:
    data = json.loads(fixture_bytes(SOURCE_ID, PAGE1))
    data["docuLanguageListResources"].insert(0, record)
    data["totalNumber"] += 1
    served.replace(PAGE1, json.dumps(data).encode())


def test_first_page_gives_every_field(pages: PageServer) -> None:
    summary = crawl(serve_source(pages, SOURCE_ID).source, None)[0]
    assert (summary.outcome, summary.items_parsed) == ("ok", 12)
    first, second = summary.items[:2]
    assert first.model_dump(exclude={"topics"}) == {
        "source_id": SOURCE_ID,
        "url": DETAIL + "ip_26_2714",
        "title": "Commission selects seven new AI Factories to expand Europe's supercomputing "
        "capacity for start-ups",
        "published": date(2026, 11, 27),
        "native_id": "IP/26/2714",
        "language": "en",
        "country": "EU",
        "publisher": "European Commission",
        "doc_type": "press_release",
        "summary": "The European Commission has selected seven new AI Factories that will give "
        "start-ups, SMEs and researchers access to AI-optimised supercomputers. The selected "
        "sites will be co-funded under Horizon Europe and the Digital Europe Programme.",
        "attachments": [],
    }
    assert second.model_dump(exclude={"topics"}) == {
        "source_id": SOURCE_ID,
        "url": DETAIL + "mex_26_2741",
        "title": "Daily News 27 / 11 / 2026",
        "published": date(2026, 11, 27),
        "native_id": "MEX/26/2741",
        "language": "en",
        "country": "EU",
        "publisher": "European Commission",
        "doc_type": "daily_news",
        "summary": None,  # leadText null
        "attachments": [],
    }


def test_document_types_and_empty_lead_texts(pages: PageServer) -> None:
    items = {i.native_id: i for i in crawl(serve_source(pages, SOURCE_ID).source, None)[0].items}
    assert {ref: items[ref].doc_type for ref in items} == {
        "IP/26/2714": "press_release",
        "MEX/26/2741": "daily_news",
        "STATEMENT/26/2739": "statement",
        "SPEECH/26/2708": "speech",
        "IP/26/2722": "press_release",
        "QANDA/26/2723": "questions_and_answers",
        "MEX/26/2725": "daily_news",
        "IP/26/2687": "press_release",
        "FS/26/2724": "fact_sheet",
        "IP/26/2701": "press_release",
        "MEX/26/2705": "daily_news",
        "READ/26/2710": "readout",
    }
    assert items["STATEMENT/26/2739"].summary is None  # leadText ""
    # Dates are Brussels calendar days, never datetimes.
    assert all(type(item.published) is date for item in items.values())


def test_backfill_reads_page_two_and_stops_at_total(pages: PageServer) -> None:
    summary = crawl(serve_source(pages, SOURCE_ID).source, None, backfill=True)[0]
    assert summary.outcome == "ok"
    assert summary.items_parsed == 23  # page 2 repeats page 1's last entry
    refs = [item.native_id for item in summary.items]
    assert len(set(refs)) == 22
    assert refs[12:14] == ["READ/26/2710", "AC/26/2699"]
    ai_act = summary.items[14]
    assert (ai_act.url, ai_act.published, ai_act.doc_type) == (
        DETAIL + "ip_26_2652",
        date(2026, 11, 24),
        "press_release",
    )
    # totalNumber 23 ≤ 2 × 12: no third page is asked for.
    assert [hit.path.rsplit("=", 1)[1] for hit in pages.requests if "api" in hit.path] == [
        "1",
        "2",
    ]


def test_nothing_new_then_one_new_press_release_is_found_once(
    pages: PageServer, sqlite_engine: Engine
) -> None:
    served = serve_source(pages, SOURCE_ID)
    assert crawl(served.source, sqlite_engine)[0].items_new == 22  # baseline reads both pages
    assert crawl(served.source, sqlite_engine)[0].outcome == "not_modified"
    served.page(PAGE1).route.validators = False
    reread = crawl(served.source, sqlite_engine)[0]
    assert (reread.outcome, reread.items_new) == ("ok", 0)

    publish(
        served,
        {
            "refCode": "IP/26/2598",  # a lower number than older documents: not chronological
            "eventDate": "2026-11-28",
            "title": "Commission welcomes agreement on the European Research Area Act",
            "leadText": "The Act sets common rules for research careers across the EU.",
            "docutype": {"code": "IP", "description": "Press release"},
            "languageCode": "EN",
        },
    )
    found = crawl(served.source, sqlite_engine)[0]
    assert (found.outcome, found.items_new) == ("ok", 1)
    assert outbox_count(sqlite_engine) == 1
    assert crawl(served.source, sqlite_engine)[0].items_new == 0
    assert outbox_count(sqlite_engine) == 1


@pytest.mark.parametrize(
    ("file", "content_type", "reason"),
    [
        ("empty-body.txt", "application/json", "the API returned an empty body"),
        ("not-json.html", "text/html", "the API did not return JSON (starts '<!DOCTYPE html>"),
    ],
)
def test_empty_or_non_json_body_is_a_parse_error_not_nothing_new(
    pages: PageServer, sqlite_engine: Engine, file: str, content_type: str, reason: str
) -> None:
    served = serve_source(pages, SOURCE_ID)
    served.replace(PAGE1, fixture_bytes(SOURCE_ID, file))
    served.page(PAGE1).route.content_type = content_type
    summary = crawl(served.source, sqlite_engine)[0]
    assert summary.outcome == "parse_error"
    run = only_run(sqlite_engine)
    assert (run.outcome, run.items_parsed) == ("parse_error", 0)
    assert run.error is not None
    assert reason in run.error
    assert run.error.startswith("eu_commission_press: http://127.0.0.1:")


def test_redesigned_json_is_a_failed_run(pages: PageServer, sqlite_engine: Engine) -> None:
    served = serve_source(pages, SOURCE_ID)
    served.replace(PAGE1, b'{"total": 22, "results": [{"reference": "IP/26/2714"}]}')
    summary = crawl(served.source, sqlite_engine)[0]
    assert summary.outcome == "empty"
    run = only_run(sqlite_engine)
    assert run.outcome == "empty"
    assert run.error is not None
    assert "no list at 'docuLanguageListResources' in the JSON" in run.error
