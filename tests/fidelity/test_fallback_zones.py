"""The generic extractor never reads navigation, breadcrumbs, pagers, sidebars or footers,
even when they link the source's known items with dates; it needs known items to vouch."""

from __future__ import annotations

from datetime import date, datetime

from parsel import Selector

from crawler.dates import parse_date
from crawler.errors import DateParseError
from crawler.layout_memory import LayoutHistory, url_folder
from spiders.fallback import extract

BASE = "https://www.example.gov/news/"
KNOWN = [f"https://www.example.gov/news/2026/item-{n}.html" for n in (1, 2, 3)]


def dated(n: int) -> str:
    return f'<a href="/news/2026/item-{n}.html">Item {n} title text</a> <span>2026-03-0{n}</span>'


PAGE = f"""<html><body>
<header><ul><li>{dated(1)}</li><li>{dated(2)}</li><li>{dated(3)}</li></ul></header>
<nav class="site"><ul><li>{dated(1)}</li><li>{dated(2)}</li></ul></nav>
<div class="crumbs"><ol><li>{dated(1)}</li><li>{dated(2)}</li></ol></div>
<main><div class="x1">
  <div class="x2"><h4>{dated(4)}</h4></div>
  <div class="x2"><h4>{dated(3)}</h4></div>
  <div class="x2"><h4>{dated(2)}</h4></div>
  <div class="x2"><h4>{dated(1)}</h4></div>
</div>
<div class="pagination"><ul><li>{dated(5)}</li><li>{dated(6)}</li></ul></div>
<div id="sidebar-most-read"><ul><li>{dated(1)}</li><li>{dated(2)}</li><li>{dated(3)}</li>
<li>{dated(7)}</li></ul></div></main>
<footer><ul><li>{dated(1)}</li><li>{dated(2)}</li><li>{dated(3)}</li></ul></footer>
</body></html>"""


def read_date(text: str) -> date | datetime | None:
    try:
        return parse_date(text, timezone="UTC", source_id="xx_test", url=BASE)
    except DateParseError:
        return None


def read_url(anchor: Selector) -> str | None:
    href = anchor.attrib.get("href")
    return f"https://www.example.gov{href}" if href else None


def history(urls: list[str]) -> LayoutHistory:
    return LayoutHistory(frozenset(urls), frozenset(url_folder(url) for url in urls), None)


def test_only_the_list_is_read_never_menus_pagers_sidebars_or_footers() -> None:
    found = extract(
        Selector(text=PAGE), base_url=BASE, history=history(KNOWN), read_url=read_url,
        read_date=read_date,
    )  # fmt: skip
    assert found is not None
    assert found.verified
    assert [(row.url, row.published) for row in found.rows] == [
        (f"https://www.example.gov/news/2026/item-{n}.html", date(2026, 3, n)) for n in (4, 3, 2, 1)
    ]
    assert found.known_found == 3
    assert found.suggestion["item"] == "main > div.x1 > div"


def test_without_known_items_nothing_is_vouched_for() -> None:
    found = extract(
        Selector(text=PAGE), base_url=BASE, history=history([]), read_url=read_url,
        read_date=read_date,
    )  # fmt: skip
    assert found is not None
    assert not found.verified
    assert found.why_not == "the source has no known items to re-find (no earlier run stored)"
