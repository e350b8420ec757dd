"""A local imitation of five government sites, served on 127.0.0.1 for the offline demo.

Every page is rendered from the sample publications below in the shape the real site uses;
:meth:`DemoSite.publish` adds new ones, so a second crawl has something to find. Responses
carry an ETag and answer If-None-Match with 304, like the real servers.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html", "xml", "rdf", "j2"]),
    keep_trailing_newline=True,
)
ERA_REIWA_OFFSET = 2018
BEIJING_DETAIL = re.compile(r"/beijing/zhengcefagui/\d{6}/t(?P<day>\d{8})_(?P<ref>\d+)\.html")


@dataclass
class SampleItem:
    title: str
    day: date
    ref: str
    slug: str = ""
    summary: str = ""
    tag: str = ""
    doc_type: str = "IP"


@dataclass
class Page:
    path: str
    content_type: str
    render: Callable[[], bytes]


def reiwa(day: date) -> str:
    return f"令和{day.year - ERA_REIWA_OFFSET}年{day.month}月{day.day}日"


@dataclass
class DemoSite:
    """The sample publications of each imitated source, and the pages rendered from them."""

    today: date
    items: dict[str, list[SampleItem]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.items = sample_items(self.today)

    def publish(self, source: str, item: SampleItem) -> None:
        self.items[source].insert(0, item)

    def pages(self) -> dict[str, Page]:
        return {
            page.path: page
            for page in (
                Page(
                    "/whitehouse/releases/feed/",
                    "application/rss+xml; charset=UTF-8",
                    lambda: self._render("wordpress_feed.xml.j2", "whitehouse"),
                ),
                Page("/presscorner/api/search", "application/json", self._ec_json),
                Page(
                    "/mext/index.rdf",
                    "application/rdf+xml",
                    lambda: self._render("mext_index.rdf.j2", "mext"),
                ),
                Page("/mext/index.html", "text/html", self._mext_list),
                Page(
                    "/beijing/zhengcefagui/",
                    "text/html; charset=utf-8",
                    lambda: self._render("beijing_list.html.j2", "beijing"),
                ),
                Page(
                    "/nsf/rss_www_news.xml",
                    "application/rss+xml; charset=utf-8",
                    lambda: self._render("nsf_feed.xml.j2", "nsf"),
                ),
                Page(
                    "/nsf/news/releases",
                    "text/html; charset=utf-8",
                    lambda: self._render("nsf_list.html.j2", "nsf"),
                ),
            )
        }

    def page(self, path: str) -> Page | None:
        """The page at ``path``: a listed page, or a Beijing detail page of a sample item."""
        return self.pages().get(path) or self._beijing_detail(path)

    def _beijing_detail(self, path: str) -> Page | None:
        # The list links ./YYYYMM/tYYYYMMDD_REF.html; the real site answers each with the
        # document, whose <meta> tags the spider reads (publisher, summary, time of day).
        match = BEIJING_DETAIL.fullmatch(path)
        if match is None:
            return None
        for item in self.items["beijing"]:
            if item.ref == match["ref"] and item.day.strftime("%Y%m%d") == match["day"]:
                html = TEMPLATES.get_template("beijing_detail.html.j2").render(item=item)
                return Page(path, "text/html; charset=utf-8", partial(bytes, html.encode()))
        return None

    def _render(self, template: str, source: str, **extra: Any) -> bytes:
        text = TEMPLATES.get_template(template).render(items=self.items[source], **extra)
        return text.encode("utf-8")

    def _mext_list(self) -> bytes:
        days: dict[str, list[SampleItem]] = {}
        for item in self.items["mext"]:
            days.setdefault(reiwa(item.day), []).append(item)
        html = TEMPLATES.get_template("mext_list.html.j2").render(days=list(days.items()))
        return html.encode("shift_jis")  # the charset is declared only in <meta>

    def _ec_json(self) -> bytes:
        entries = [
            {
                "refCode": item.ref,
                "eventDate": item.day.isoformat(),
                "title": item.title,
                "leadText": item.summary,
                "docutype": {"code": item.doc_type, "description": "Press release"},
                "languageCode": "EN",
            }
            for item in self.items["ec"]
        ]
        body = {
            "totalNumber": len(entries),
            "pageSize": 50,
            "pageNumber": 1,
            "docuLanguageListResources": entries,
        }
        return json.dumps(body).encode("utf-8")


def sample_items(today: date) -> dict[str, list[SampleItem]]:
    """A few days of plausible publications per source, newest first."""

    def ago(days: int) -> date:
        return today - timedelta(days=days)

    return {
        "whitehouse": [
            SampleItem(
                "Fact Sheet: Strengthening American Leadership in Quantum Networking",
                ago(1),
                "61021",
                "fact-sheet-quantum-networking",
                "Today the Administration announced new steps on quantum networking.",
            ),
            SampleItem(
                "Statement on the National Semiconductor Workforce Compact",
                ago(3),
                "61002",
                "statement-semiconductor-workforce",
                "A compact between industry and universities to train chip technicians.",
            ),
            SampleItem(
                "Readout of the Space Policy Council Meeting",
                ago(6),
                "60977",
                "readout-space-policy-council",
                "The council discussed lunar logistics.",
            ),
        ],
        "ec": [
            SampleItem(
                "Commission proposes a European research data space",
                ago(1),
                "IP/26/2310",
                summary="The proposal links national research data infrastructures.",
            ),
            SampleItem(
                "AI Continent: new gigafactory call opens",
                ago(2),
                "IP/26/2297",
                summary="A call for AI gigafactories opens with a budget of EUR 2 billion.",
            ),
            SampleItem(
                "Statement on the Chips Act review",
                ago(4),
                "STATEMENT/26/2301",
                summary="Executive Vice-President statement.",
                doc_type="STATEMENT",
            ),
        ],
        "mext": [
            SampleItem(
                "科学技術・学術審議会 研究計画・評価分科会（第95回）の開催について",
                ago(1),
                "01812",
                tag="科学技術・学術",
            ),
            SampleItem(
                "量子技術イノベーション拠点の公募結果について", ago(1), "01809", tag="報道発表"
            ),
            SampleItem(
                "大学等における半導体人材育成プログラムの採択について", ago(4), "01790", tag="教育"
            ),
        ],
        "beijing": [
            SampleItem(
                "北京市关于加快建设具有全球影响力的人工智能创新策源地的实施意见",
                ago(1),
                "4870211",
                summary="提出建设人工智能创新策源地的主要目标和重点任务。",
            ),
            SampleItem(
                "北京市促进量子信息产业发展若干措施",
                ago(2),
                "4869873",
                summary="支持量子计算、量子通信和量子测量领域的研发与应用。",
            ),
            SampleItem(
                "北京市科学技术委员会关于印发《北京市新型研发机构管理办法》的通知",
                ago(5),
                "4866502",
                summary="规范新型研发机构的认定、支持和管理。",
            ),
        ],
        "nsf": [
            SampleItem(
                "NSF invests in regional AI research institutes",
                ago(2),
                "",
                "nsf-invests-regional-ai-institutes",
                "Seven new institutes will study trustworthy AI for science.",
            ),
            SampleItem(
                "Statement on the FY2027 budget request",
                ago(5),
                "",
                "statement-fy2027-budget-request",
                "NSF Director's statement on the President's budget request.",
            ),
            SampleItem(
                "New cohort of quantum testbeds announced",
                ago(8),
                "",
                "quantum-testbeds-cohort",
                "Four testbeds join the national network.",
            ),
        ],
    }


class DemoServer:
    """Serves a :class:`DemoSite` on 127.0.0.1 (an ephemeral port) in a background thread."""

    def __init__(self, site: DemoSite) -> None:
        self.site = site
        handler = _handler_for(site)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> DemoServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def _handler_for(site: DemoSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            page = site.page(path)
            # Like WordPress past its last page: the sample feeds hold one page only.
            if page is None or "paged=" in query:
                self.send_error(HTTPStatus.NOT_FOUND)
                return
            body = page.render()
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(HTTPStatus.NOT_MODIFIED)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", page.content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the demo prints its own story."""

    return Handler
