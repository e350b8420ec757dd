"""JSON APIs shaped like real captures: Federal Register cursor paging and snake_case types,
gov.cn's date key under its other names."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from tests.crawling import crawl
from tests.servers.pages import PageServer
from tests.sourcepack import fixture_bytes, serve_source

CURSOR = "search_after_cursor=WyIyMDI2LTA5LTE0IiwiMjAyNi0xOTg0MiJd"


def test_federal_register_follows_the_cursor_url_the_api_gives(pages: PageServer) -> None:
    served = serve_source(pages, "us_federal_register")
    summary = crawl(served.source, None, backfill=True)[0]
    assert (summary.outcome, summary.items_parsed) == ("ok", 12)
    requested = [hit.path for hit in pages.requests if hit.path.startswith("/api/v1/")]
    assert len(requested) == 2
    assert CURSOR in requested[1]
    assert not any(re.search(r"[?&]page=", path) for path in requested)


def test_federal_register_types_are_snake_case(pages: PageServer) -> None:
    items = crawl(serve_source(pages, "us_federal_register").source, None)[0].items
    raw = {
        record["type"]
        for record in json.loads(fixture_bytes("us_federal_register", "documents.json"))["results"]
    }
    assert raw == {"Notice", "Proposed Rule", "Sunshine Act Document"}
    assert {item.doc_type for item in items} == {"notice", "proposed_rule", "sunshine_act_document"}


def test_gov_cn_date_is_read_from_ptime_or_pubtime_str_when_pubtime_is_missing(
    pages: PageServer,
) -> None:
    served = serve_source(pages, "cn_gov_policy")
    data = json.loads(fixture_bytes("cn_gov_policy", "response.json"))
    records = data["searchVO"]["catMap"]["gongwen"]["listVO"]
    first, second = records[0], records[1]
    first["ptime"] = first.pop("pubtime")  # the same instant, under the other key
    del first["pubtimeStr"]
    del second["pubtime"]  # only the text form left
    second_day = second["pubtimeStr"]
    served.replace("response.json", json.dumps(data, ensure_ascii=False).encode())
    summary = crawl(served.source, None)[0]
    assert (summary.outcome, summary.items_invalid) == ("ok", 0)
    by_id = {item.native_id: item for item in summary.items}
    shanghai = ZoneInfo("Asia/Shanghai")
    assert by_id[first["id"]].published == datetime.fromtimestamp(
        first["ptime"] / 1000, tz=shanghai
    )
    year, month, day = (int(part) for part in second_day.split("."))
    assert by_id[second["id"]].published == date(year, month, day)
