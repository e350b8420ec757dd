"""Generated documents for the parser properties: RSS 2.0, Atom and RSS 1.0 (RDF) feeds, a
list page and a JSON API body, with odd dates, missing fields, huge or unicode titles,
repeated guids, broken markup and wrong charsets, each with the source config that reads it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

from hypothesis import strategies as st


@dataclass
class Entry:
    title: str | None
    link: str | None
    guid: str | None
    date: str | None


@dataclass
class Document:
    kind: str  # rss2, atom, rdf, list_page, json_api
    entries: list[Entry]
    body: bytes
    content_type: str
    broken: bool  # markup cut short or bytes in another charset than declared

    def source_fields(self) -> dict[str, Any]:
        if self.kind == "list_page":
            return {
                "kind": "list_page",
                "list": {
                    "item": "ul.news > li",
                    "title": "a::text",
                    "link": "a::attr(href)",
                    "date": "span.date::text",
                },
            }
        if self.kind == "json_api":
            return {
                "kind": "json_api",
                "api": {
                    "items_path": "data.items",
                    "id": "id",
                    "title": "title",
                    "date": "date",
                    "link": "url",
                },
            }
        return {"kind": "feed"}


def _days_ago(days: float, form: str) -> str:
    moment = datetime.now(UTC) - timedelta(days=days)
    if form == "rfc822":
        return moment.strftime("%a, %d %b %Y %H:%M:%S +0000")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


DATE_TEXTS = st.one_of(
    st.floats(min_value=0, max_value=3000).map(lambda d: _days_ago(d, "rfc822")),
    st.floats(min_value=0, max_value=3000).map(lambda d: _days_ago(d, "iso")),
    st.floats(min_value=-60, max_value=-1).map(lambda d: _days_ago(d, "rfc822")),  # future
    st.sampled_from(
        [
            "Fri, 31 Dec 9999 23:00:00 -0500",
            "Mon, 01 Jan 1979 10:00:00 +0000",
            "0001-01-01T00:00:00Z",
            "2026-02-30",
            "not a date",
            "",
            "令和8年3月10日",
            "2026年13月40日",
            "Tue, 10 Mar 2026 25:61:00 +0000",
        ]
    ),
    st.text(max_size=20),
)
TITLES = st.one_of(
    st.sampled_from(["Press Briefing", "Notice", "報道発表", "보도자료", "通知公告"]),
    st.text(max_size=40),
    st.text(min_size=2000, max_size=5000),  # huge
    st.none(),
)
LINKS = st.one_of(
    st.none(),
    st.integers(min_value=0, max_value=6).map(lambda n: f"https://agency.example/n/{n}"),
    st.integers(min_value=0, max_value=6).map(lambda n: f"/relative/{n}"),
    st.sampled_from(
        ["javascript:void(0)", "mailto:press@agency.example", "", "   ", "ftp://x/y", "http://"]
    ),
    st.text(max_size=30),
)
GUIDS = st.one_of(
    st.none(), st.sampled_from(["tag:a,2026:1", "tag:a,2026:2", "urn:x:3"]), st.text(max_size=10)
)
ENTRIES = st.builds(
    Entry, title=TITLES, link=LINKS, guid=GUIDS, date=st.one_of(st.none(), DATE_TEXTS)
)


def _x(text: str) -> str:
    """Text as XML allows it (control characters other than tab/newline are not XML)."""
    cleaned = "".join(
        ch
        for ch in text
        if ch in "\t\n\r"
        or (ord(ch) >= 0x20 and not 0xD800 <= ord(ch) <= 0xDFFF and ch not in "\ufffe\uffff")
    )
    return escape(cleaned)


def _fields(e: Entry, **templates: str) -> str:
    """An entry's present fields, in the order given, each in its format's element
    (``{}`` is where the value goes); an absent field is left out."""
    values = {"title": e.title, "link": e.link, "guid": e.guid, "date": e.date}
    return "".join(
        template.format(_x(value))
        for name, template in templates.items()
        if (value := values[name]) is not None
    )


def rss2(entries: list[Entry]) -> str:
    items = "".join(
        "<item>"
        + _fields(
            e,
            title="<title>{}</title>",
            link="<link>{}</link>",
            guid='<guid isPermaLink="false">{}</guid>',
            date="<pubDate>{}</pubDate>",
        )
        + "</item>"
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="{charset}"?><rss version="2.0"><channel><title>T</title>'
        f"<link>https://agency.example/</link><description>d</description>{items}</channel></rss>"
    )


def atom(entries: list[Entry]) -> str:
    items = "".join(
        "<entry>"
        + _fields(
            e,
            title="<title>{}</title>",
            link='<link rel="alternate" href="{}"/>',
            guid="<id>{}</id>",
            date="<updated>{}</updated>",
        )
        + "</entry>"
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="{charset}"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>T</title><id>urn:feed</id><updated>2026-01-01T00:00:00Z</updated>{items}</feed>"
    )


def rdf(entries: list[Entry]) -> str:
    items = "".join(
        f'<item rdf:about="{_x(e.link or e.guid or "")}">'
        + _fields(
            e, title="<title>{}</title>", link="<link>{}</link>", date="<dc:date>{}</dc:date>"
        )
        + "</item>"
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="{charset}"?>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<channel rdf:about="https://agency.example/"><title>T</title>'
        f"<link>https://agency.example/</link></channel>{items}</rdf:RDF>"
    )


def list_page(entries: list[Entry]) -> str:
    rows = []
    for e in entries:
        href = f' href="{_x(e.link)}"' if e.link is not None else ""
        date = f'<span class="date">{_x(e.date)}</span>' if e.date is not None else ""
        rows.append(f"<li><a{href}>{_x(e.title or '')}</a>{date}</li>")
    return (
        '<html><head><meta charset="{charset}"><title>News</title></head><body>'
        f'<ul class="news">{"".join(rows)}</ul></body></html>'
    )


def json_body(entries: list[Entry]) -> str:
    records = []
    for e in entries:
        record: dict[str, Any] = {}
        if e.guid is not None:
            record["id"] = e.guid
        if e.title is not None:
            record["title"] = e.title
        if e.link is not None:
            record["url"] = e.link
        if e.date is not None:
            record["date"] = e.date
        records.append(record)
    return json.dumps({"data": {"items": records}}, ensure_ascii=False)


RENDER = {"rss2": rss2, "atom": atom, "rdf": rdf, "list_page": list_page, "json_api": json_body}
CONTENT_TYPES = {
    "rss2": "application/rss+xml",
    "atom": "application/atom+xml",
    "rdf": "application/rdf+xml",
    "list_page": "text/html",
    "json_api": "application/json",
}


@st.composite
def documents(draw: st.DrawFn, kinds: list[str]) -> Document:
    kind = draw(st.sampled_from(kinds))
    entries = draw(st.lists(ENTRIES, min_size=1, max_size=8))
    text = RENDER[kind](entries)
    declared = draw(st.sampled_from(["utf-8", "utf-8", "shift_jis", "iso-8859-1"]))
    actual = draw(st.sampled_from([declared, declared, "utf-8", "utf-16", "cp1252"]))
    text = text.replace("{charset}", declared)
    body = text.encode(actual, errors="replace")
    cut = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=len(body))))
    if cut is not None:
        body = body[:cut]
    header = draw(st.sampled_from(["", f"; charset={declared}", "; charset=bogus-charset"]))
    broken = cut is not None or actual != declared or header.endswith("bogus-charset")
    return Document(kind, entries, body, CONTENT_TYPES[kind] + header, broken)
