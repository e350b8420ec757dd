"""Redesign a saved list page the way real sites do, with a real HTML parser (lxml).

:func:`redesign` applies every mutation the issue names to the rows the source's own
selectors find: the list is wrapped in new elements, class names are renamed and
reordered, each row's title link moves to a new element, dates are nested in a ``<span>``,
and a "most popular" sidebar of links to the same site (known items among them, with dates)
is added. The mutated page no longer matches the configured selectors.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from lxml import html
from lxml.html import HtmlElement

DATE_LIKE = re.compile(r"\d{4}[-./年]\s*\d{1,2}|\d{1,2},\s*\d{4}|令和|平成")


def _renamed(token: str) -> str:
    return "r" + hashlib.sha256(token.encode()).hexdigest()[:6]


def rename_classes(scope: HtmlElement) -> None:
    """Every class token under ``scope`` gets a new name, and their order is reversed."""
    for element in scope.iter():
        if isinstance(element.tag, str) and element.get("class"):
            tokens = element.get("class", "").split()
            element.set("class", " ".join(_renamed(token) for token in reversed(tokens)))


def wrap(element: HtmlElement) -> HtmlElement:
    """Put ``element`` inside two new ``div``s where it stood; return the outer one."""
    outer = html.Element("div", {"class": "layout-shell"})
    inner = html.Element("div", {"class": "layout-body"})
    element.addprevious(outer)
    outer.append(inner)
    inner.append(element)  # moves it (with its tail, which lxml keeps on the element)
    return outer


def move_link(row: HtmlElement) -> None:
    """The row's first link moves into a new element at the start of the row (a new cell
    in a table row, a heading elsewhere)."""
    anchor = next((a for a in row.iterdescendants("a") if a.get("href") or a.get("onclick")), None)
    if anchor is None:
        return
    tail = anchor.tail
    anchor.tail = None
    parent = anchor.getparent()
    if tail and parent is not None:
        previous = anchor.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    holder = html.Element("td" if row.tag == "tr" else "h4", {"class": "headline"})
    holder.append(anchor)
    row.insert(0, holder)


def nest_dates(elements: Iterable[HtmlElement]) -> None:
    """Text that looks like a date is moved into a new ``<span>`` of its element."""
    for element in list(elements):
        if not isinstance(element.tag, str) or element.tag == "a":
            continue
        text = element.text or ""
        if text.strip() and DATE_LIKE.search(text):
            span = html.Element("span", {"class": "when"})
            span.text = text
            element.text = None
            element.insert(0, span)


def add_sidebar(body: HtmlElement, links: list[tuple[str, str, str]]) -> None:
    """A "most popular" box of dated links to the same site, as news sites add."""
    aside = html.fragment_fromstring('<aside class="most-popular"><h2>Most popular</h2></aside>')
    listing = html.Element("ul")
    for href, title, day in links:
        item = html.fragment_fromstring(f'<li><a href="{href}">{title}</a> <span>{day}</span></li>')
        listing.append(item)
    aside.append(listing)
    body.append(aside)


def redesign(page: bytes, row_xpath: list[str], sidebar_links: list[tuple[str, str, str]]) -> bytes:
    """The page after a redesign; ``row_xpath`` finds the rows in the original page."""
    document = html.document_fromstring(page.decode("utf-8"))
    rows: list[HtmlElement] = []
    for query in row_xpath:
        rows.extend(document.xpath(query))
    if not rows:
        raise ValueError("the original page has no rows to redesign")
    lists = _unique(row.getparent() for row in rows)
    holders = _unique(parent.getparent() for parent in lists)
    for row in rows:
        move_link(row)
        nest_dates(row.iter())
    for holder in holders:
        nest_dates(holder)  # headings that date the lists below them
    for holder in holders:
        scope = holder.getparent() if holder.getparent() is not None else holder
        rename_classes(scope)
        wrap(holder)
    add_sidebar(document.body, sidebar_links)
    return html.tostring(document, encoding="utf-8", doctype="<!DOCTYPE html>")


def _unique(elements: Iterable[HtmlElement | None]) -> list[HtmlElement]:
    seen: list[HtmlElement] = []
    for element in elements:
        if element is not None and all(element is not other for other in seen):
            seen.append(element)
    return seen
