"""The generic list extractor that takes over when a list page's selectors match nothing.

Redesigns wrap lists in new elements, rename classes and move links; the configured
selectors then match nothing while the publications are still there, one per row. This
module finds them the way a reader does: the repeated block of sibling elements (``li``,
``tr``, ``article`` … under one parent, or one level deeper) each of which carries a link
and a date. Among such blocks it picks the one holding most of the source's *known* items
(URLs stored from earlier runs, handed over by the engine: :mod:`crawler.layout_memory`),
then the one whose links sit in the source's usual folders. What it finds is only trusted
when it re-finds known items (``verified``); the caller alerts nothing otherwise.

Navigation, headers, footers, breadcrumbs, pagers and sidebars ("most popular",
"related", "featured") are never read: blocks inside them are not candidates at all,
whether marked by element (``nav``, ``aside`` …), by ARIA role or by class / id words.

A row's date is what it shows: the first short visible text that reads as a date (the
visible day wins over a ``<time datetime>`` on another day; the machine time is kept when
it is on the shown day); a row with no date of its own takes the nearest date heading
before its list (pages grouped by day). The result also names a selector set, to paste
into config/sources.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from lxml import html as lxml_html
from parsel import Selector

from crawler.layout_memory import LayoutHistory, url_folder
from crawler.urls import canonicalize_url

UrlReader = Callable[[Selector], str | None]
DateReader = Callable[[str], date | datetime | None]

OFF_LIMITS_TAGS = frozenset({"nav", "header", "footer", "aside", "form", "select", "menu"})
OFF_LIMITS_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
OFF_LIMITS_WORDS = frozenset(
    {
        "nav", "navbar", "navigation", "menu", "gnb", "lnb", "snb", "breadcrumb",
        "breadcrumbs", "crumbs", "crumb", "pager", "paging", "pagination", "footer",
        "header", "sidebar", "aside", "popular", "most", "related", "featured", "promo",
        "trending", "share", "social", "banner", "skip", "util", "utility", "quick", "tabs",
        "toolbar", "sitemap", "widget", "ranking", "recommend", "recommended",
    }
)  # fmt: skip
SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template"})
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "dt", "p", "div", "span", "strong"})
WORD_SPLIT = re.compile(r"[^a-z0-9]+")
DATE_TEXT_MAX = 40  # longer text is a title or a teaser, not a date
DIGIT = re.compile(r"\d")


@dataclass
class FoundRow:
    """One row of the block: an item, or a problem (no link, no date) said in words."""

    url: str | None
    title: str
    published: date | datetime | None
    problem: str | None = None
    date_path: str | None = None
    link_path: str | None = None
    title_from_attribute: bool = False
    date_from_heading: bool = False


@dataclass
class Extraction:
    """The block the extractor chose, its rows, and what vouches for it."""

    item_selector: str
    rows: list[FoundRow]
    known_found: int
    verified: bool
    why_not: str | None = None
    suggestion: dict[str, str] = field(default_factory=dict)

    def suggestion_yaml(self) -> str:
        """The suggested selector set as YAML, ready to paste under the source."""
        lines = ["list:"]
        lines += [f"  {key}: {_yaml_text(value)}" for key, value in self.suggestion.items()]
        return "\n".join(lines)


@dataclass
class _Block:
    container: Any
    path: tuple[str, ...]
    rows: list[Any]
    links: list[str | None]
    known: int = 0
    in_folders: int = 0


def extract(
    page: Selector,
    *,
    base_url: str,
    history: LayoutHistory,
    read_url: UrlReader,
    read_date: DateReader,
) -> Extraction | None:
    """The page's list of publications, or None when no block of linked rows exists."""
    root = page.root
    if not isinstance(root, lxml_html.HtmlElement) and not hasattr(root, "iter"):
        return None
    blocks = list(_candidate_blocks(root, history, read_url))
    if not blocks:
        return None
    # Most known items first, then most links in the source's folders, then most linked
    # rows; on a tie the shallower block (the whole element is the row).
    blocks.sort(
        key=lambda b: (b.known, b.in_folders, sum(u is not None for u in b.links), -len(b.path))
    )
    for block in reversed(blocks[-5:]):
        rows = [_read_row(row, url, read_url, read_date, history) for row, url in
                zip(block.rows, block.links, strict=True)]  # fmt: skip
        readable = [row for row in rows if row.problem is None]
        if len(readable) * 2 < len([row for row in rows if row.problem != _NAVIGATION]):
            continue  # most rows have no date: a menu or a tag cloud, not a list of items
        kept = [row for row in rows if row.problem != _NAVIGATION]
        needed = max(1, min(3, len(history.urls)))
        verified = bool(history.urls) and block.known >= needed
        why_not = None
        if not history.urls:
            why_not = "the source has no known items to re-find (no earlier run stored)"
        elif not verified:
            why_not = f"it re-found {block.known} known items, {needed} needed"
        return Extraction(
            item_selector=_item_selector(block),
            rows=kept,
            known_found=block.known,
            verified=verified,
            why_not=why_not,
            suggestion=_suggest(block, kept),
        )
    return None


def _candidate_blocks(root: Any, history: LayoutHistory, read_url: UrlReader) -> Iterator[_Block]:
    """Every group of same-tag siblings (or cousins one level down) outside off-limits
    zones in which at least two rows carry a document link."""
    for container in root.iter():
        if not isinstance(container.tag, str) or container.tag in SKIPPED_TAGS:
            continue
        if _off_limits(container):
            continue
        children = [child for child in container if isinstance(child.tag, str)]
        groups: dict[tuple[str, ...], list[Any]] = {}
        for child in children:
            groups.setdefault((child.tag,), []).append(child)
            for grandchild in child:
                if isinstance(grandchild.tag, str) and not _marked_off_limits(child):
                    groups.setdefault((child.tag, grandchild.tag), []).append(grandchild)
        for path, rows in groups.items():
            if len(rows) < 2:
                continue
            links = [_row_link(row, read_url) for row in rows]
            linked = [url for url in links if url is not None]
            if len(linked) < 2:
                continue
            block = _Block(container, path, rows, links)
            block.known = len({url for url in linked if url in history.urls})
            block.in_folders = sum(url_folder(url) in history.folders for url in linked)
            yield block


_NAVIGATION = "navigation row"


def _off_limits(element: Any) -> bool:
    node = element
    while node is not None:
        if _marked_off_limits(node):
            return True
        node = node.getparent()
    return False


def _marked_off_limits(node: Any) -> bool:
    if not isinstance(node.tag, str):
        return False
    if node.tag in OFF_LIMITS_TAGS:
        return True
    if (node.get("role") or "").lower() in OFF_LIMITS_ROLES:
        return True
    words = f"{node.get('class') or ''} {node.get('id') or ''}".lower()
    return any(word in OFF_LIMITS_WORDS for word in WORD_SPLIT.split(words))


def _anchors(row: Any) -> list[Any]:
    return [a for a in row.iter("a") if not _inside_off_limits(a, row)]


def _inside_off_limits(anchor: Any, row: Any) -> bool:
    node = anchor
    while node is not None and node is not row:
        if _marked_off_limits(node):
            return True
        node = node.getparent()
    return False


def _row_link(row: Any, read_url: UrlReader) -> str | None:
    """The row's document link (canonical), preferring the longest link text."""
    best: tuple[int, str] | None = None
    for anchor in _anchors(row):
        url = _canonical(read_url(Selector(root=anchor)))
        if url is None:
            continue
        weight = len(_text(anchor)) + len(anchor.get("title") or "")
        if best is None or weight > best[0]:
            best = (weight, url)
    return best[1] if best else None


def _primary_anchor(
    row: Any, read_url: UrlReader, history: LayoutHistory
) -> tuple[Any, str] | None:
    ranked: list[tuple[tuple[int, int, int], Any, str]] = []
    for anchor in _anchors(row):
        url = _canonical(read_url(Selector(root=anchor)))
        if url is None:
            continue
        weight = len(_text(anchor)) + len(anchor.get("title") or "")
        ranked.append(
            ((url in history.urls, url_folder(url) in history.folders, weight), anchor, url)
        )
    if not ranked:
        return None
    ranked.sort(key=lambda entry: entry[0])
    return ranked[-1][1], ranked[-1][2]


def _read_row(
    row: Any,
    link: str | None,
    read_url: UrlReader,
    read_date: DateReader,
    history: LayoutHistory,
) -> FoundRow:
    primary = _primary_anchor(row, read_url, history)
    dated = _row_date(row, primary[0] if primary else None, read_date)
    if primary is None:
        if _anchors(row) or dated is None:
            return FoundRow(None, _text(row)[:80], None, problem=_NAVIGATION)
        return FoundRow(
            None, _text(row)[:80], None, problem=f"a row has no link: {_text(row)[:80]!r}"
        )
    anchor, url = primary
    shown, attribute = _text(anchor), (anchor.get("title") or "").strip()
    use_attribute = len(attribute) > len(shown.rstrip("…."))
    title = attribute if use_attribute else shown
    link_path = _relative_path(row, anchor)
    if dated is None:
        dated = _heading_date(row, read_date)
        if dated is None:
            return FoundRow(url, title, None, problem=f"{url}: the row shows no readable date")
        return FoundRow(url, title, dated[0], link_path=link_path,
                        title_from_attribute=use_attribute, date_from_heading=True)  # fmt: skip
    return FoundRow(url, title, dated[0], date_path=dated[1], link_path=link_path,
                    title_from_attribute=use_attribute)  # fmt: skip


def _row_date(row: Any, primary: Any, read_date: DateReader) -> tuple[date | datetime, str] | None:
    """The first short visible text of the row (outside its title link) that reads as a
    date; a ``datetime`` attribute on the same element refines it when on the same day."""
    for element in row.iter():
        if not isinstance(element.tag, str) or element.tag in SKIPPED_TAGS:
            continue
        if primary is not None and _is_within(element, primary):
            continue
        for text in (element.text, *(child.tail for child in element)):
            shown = " ".join((text or "").split())
            if not shown or len(shown) > DATE_TEXT_MAX or not DIGIT.search(shown):
                continue
            value = read_date(shown)
            if value is None:
                continue
            return _refined(value, element, read_date), _relative_path(row, element)
    return None


def _refined(shown: date | datetime, element: Any, read_date: DateReader) -> date | datetime:
    """A machine ``datetime`` attribute on the date's element (or its holder up to two
    levels, as in ``<time datetime=…><span>day</span></time>``) on the same day adds the
    time; on another day the shown day stands."""
    if isinstance(shown, datetime):
        return shown
    node = element
    for _ in range(3):
        if node is None:
            break
        machine_text = node.get("datetime")
        if machine_text:
            machine = read_date(machine_text)
            if isinstance(machine, datetime) and machine.date() == shown:
                return machine
            return shown
        node = node.getparent()
    return shown


def _heading_date(row: Any, read_date: DateReader) -> tuple[date | datetime, str] | None:
    """Pages grouped by day: the nearest short dated element before the row's list."""
    node = row.getparent()
    for _ in range(2):
        if node is None:
            return None
        sibling = node.getprevious()
        while sibling is not None:
            if isinstance(sibling.tag, str) and sibling.tag in HEADING_TAGS:
                shown = " ".join(_text(sibling).split())
                if shown and len(shown) <= DATE_TEXT_MAX and DIGIT.search(shown):
                    value = read_date(shown)
                    if value is not None:
                        return value, sibling.tag
            sibling = sibling.getprevious()
        node = node.getparent()
    return None


def _is_within(element: Any, ancestor: Any) -> bool:
    node = element
    while node is not None:
        if node is ancestor:
            return True
        node = node.getparent()
    return False


def _text(element: Any) -> str:
    return " ".join("".join(element.itertext()).split())


def _canonical(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return canonicalize_url(url)
    except ValueError:
        return None


def _css_step(element: Any) -> str:
    """``tag.first-class`` (or ``tag#id``): one step of a suggested selector."""
    if element.get("id"):
        return f"{element.tag}#{element.get('id')}"
    classes = (element.get("class") or "").split()
    return f"{element.tag}.{classes[0]}" if classes else str(element.tag)


def _relative_path(row: Any, element: Any) -> str:
    steps: list[str] = []
    node = element
    while node is not None and node is not row:
        steps.append(_css_step(node))
        node = node.getparent()
    return " > ".join(reversed(steps))


def _item_selector(block: _Block) -> str:
    parent = block.container.getparent()
    scope = f"{_css_step(parent)} > " if parent is not None and parent.tag != "body" else ""
    return " > ".join([f"{scope}{_css_step(block.container)}", *block.path])


def _suggest(block: _Block, rows: list[FoundRow]) -> dict[str, str]:
    suggestion = {"item": _item_selector(block)}
    sample = next((row for row in rows if row.problem is None), None)
    if sample is None or sample.link_path is None:
        return suggestion
    link = sample.link_path
    title_part = "::attr(title)" if sample.title_from_attribute else " ::text"
    suggestion["title"] = f"{link}{title_part}"
    suggestion["link"] = f"{link}::attr(href)"
    if sample.date_path:
        suggestion["date"] = f"{sample.date_path}::text"
    return suggestion


def _yaml_text(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
