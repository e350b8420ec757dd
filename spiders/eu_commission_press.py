"""European Commission press corner, read through its JSON search API.

The press corner pages (``/presscorner/detail/en/ip_26_614``) are a JavaScript shell with no
body for a plain GET, so the same-host search API is read: ``/api/search`` with
``language``, ``pagesize`` (≤ 100) and a 1-based ``pagenumber``; entries sit in
``docuLanguageListResources``, newest ``eventDate`` first. The reference code (``IP/26/614``)
is the document's identity; reference numbers are not chronological, so nothing here relies
on their order. An empty or non-JSON body is a failed run, not "nothing new".
"""

from __future__ import annotations

from typing import Any

from scrapy.http import Response

from crawler.items import Publication
from spiders.json_api import JsonApiSpider, dig

DETAIL_URL = "https://ec.europa.eu/commission/presscorner/detail/{language}/{slug}"


def detail_url(ref_code: str, language: str = "en") -> str:
    """``IP/26/614`` → ``…/presscorner/detail/en/ip_26_614``."""
    slug = ref_code.strip().lower().replace("/", "_")
    return DETAIL_URL.format(language=language, slug=slug)


class EuCommissionPressSpider(JsonApiSpider):
    name = "eu_commission_press"

    def is_last_page(self, data: Any) -> bool:
        # The API says how many documents match and which page this is.
        total, size, number = (dig(data, key) for key in ("totalNumber", "pageSize", "pageNumber"))
        if not all(isinstance(value, int) for value in (total, size, number)):
            return False
        return bool(number * size >= total)

    def record_to_item(self, record: dict[str, Any], response: Response) -> Publication | None:
        item = super().record_to_item(record, response)
        if item is None:
            return None
        ref_code = str(dig(record, "refCode") or "")
        item.url = detail_url(ref_code, self.source.language)
        item.native_id = ref_code
        language = dig(record, "languageCode")
        item.language = str(language).lower() if language else None
        return item
