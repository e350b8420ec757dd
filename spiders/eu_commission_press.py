"""European Commission press corner, read through its JSON search API.

The press corner pages (``/presscorner/detail/en/ip_26_614``) are a JavaScript shell with no
body for a plain GET, so the same-host search API is read: ``/api/search`` with
``language``, ``pagesize`` (≤ 100) and a 1-based ``pagenumber``; entries sit in
``docuLanguageListResources``, newest ``eventDate`` first. The reference code (``IP/26/614``)
is the document's identity; reference numbers are not chronological, so nothing here relies
on their order. An empty or non-JSON body is a failed run, not "nothing new".
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from scrapy.http import Response

from crawler.dates import parse_date
from crawler.errors import LayoutChanged
from crawler.items import PublicationItem
from spiders.json_api import JsonApiSpider, dig

DETAIL_URL = "https://ec.europa.eu/commission/presscorner/detail/{language}/{slug}"


def detail_url(ref_code: str, language: str = "en") -> str:
    """``IP/26/614`` → ``…/presscorner/detail/en/ip_26_614``."""
    slug = ref_code.strip().lower().replace("/", "_")
    return DETAIL_URL.format(language=language, slug=slug)


class EuCommissionPressSpider(JsonApiSpider):
    """Press corner search API; see the module docstring for its shape."""

    name = "eu_commission_press"

    # docutype.code → doc type. The descriptions next to the codes are not reliable
    # (checked 2026-07 against the presscorner-builder notes), so only the code is read.
    doc_types: ClassVar[dict[str, str]] = {
        "IP": "press_release",
        "STATEMENT": "statement",
        "SPEECH": "speech",
        "QANDA": "questions_and_answers",
        "FS": "fact_sheet",
        "MEX": "daily_news",
        "AC": "news_article",
        "READ": "readout",
        "INF": "infringements",
        "ANNOUNCEMENT": "announcement",
    }

    def is_last_page(self, data: Any) -> bool:
        # The API says how many documents match and which page this is; a page that runs
        # past the end comes back empty, which JsonApiSpider also takes as the end.
        total, size, number = (dig(data, key) for key in ("totalNumber", "pageSize", "pageNumber"))
        if not all(isinstance(value, int) for value in (total, size, number)):
            return False
        return bool(number * size >= total)

    def record_to_item(self, record: dict[str, Any], response: Response) -> PublicationItem | None:
        ref_code = self._parse_ref_code(record, response)
        url = detail_url(ref_code)
        published = self._parse_published(record, url)
        return self.item(
            url=url,
            native_id=ref_code,
            title=str(record.get("title") or ""),
            published=published,
            language=self._parse_language(record),
            doc_type=self._parse_doc_type(record),
            summary=record.get("leadText") or None,
        )

    def _parse_ref_code(self, record: dict[str, Any], response: Response) -> str:
        ref_code = str(record.get("refCode") or "").strip()
        if not ref_code:
            raise LayoutChanged(self.source.id, response.url, "an entry has no 'refCode'")
        return ref_code

    def _parse_published(self, record: dict[str, Any], url: str) -> date | datetime:
        # eventDate is a day (2026-11-27) with no time; /api/documents has the time.
        return parse_date(
            str(record.get("eventDate") or ""),
            timezone=self.source.timezone,
            source_id=self.source.id,
            url=url,
        )

    def _parse_language(self, record: dict[str, Any]) -> str | None:
        # "EN" in production answers, "en" in other captures.
        language = record.get("languageCode")
        return str(language).lower() if language else None

    def _parse_doc_type(self, record: dict[str, Any]) -> str | None:
        code = str(dig(record, "docutype.code") or "").upper()
        if not code:
            return None
        return self.doc_types.get(code, code.lower())
