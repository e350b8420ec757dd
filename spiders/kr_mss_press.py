"""중소벤처기업부 (Ministry of SMEs and Startups) 보도자료 board, ``List.do?cbIdx=86``.

A server-rendered UTF-8 table (번호, 제목, 담당부서, 등록일, 조회, 첨부), ten rows a page. The
title link is JavaScript, ``onclick="doBbsFView('86','1068561','16010100','1068561')"``,
which opens ``View.do?cbIdx=86&bcIdx=1068561``; the date is the 4th cell, ``2026.11.12``
(KST, no time). The pager posts ``pageIndex`` through ``doBbsFPag(n)``; the same list
answers ``?pageIndex=n`` to a GET. Fallback: korea.kr ``dept_mss.xml``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from parsel import Selector
from scrapy import Request
from scrapy.http import Response

from crawler.errors import LayoutChanged
from spiders.json_api import with_query
from spiders.list_page import ListPageSpider, select, text_of

VIEW_CALL = re.compile(r"doBbsFView\(\s*'(?P<cb>\d+)'\s*,\s*'(?P<bc>\d+)'")
VIEW_URL = "https://www.mss.go.kr/site/smba/ex/bbs/View.do?cbIdx={cb}&bcIdx={bc}"


class KrMssPressSpider(ListPageSpider):
    name = "kr_mss_press"

    def row_url(self, row: Selector, response: Response) -> str:
        onclick = text_of(row, self.selectors.link) or ""
        call = VIEW_CALL.search(onclick)
        if call is None:
            raise LayoutChanged(
                self.source.id, response.url, f"a title link has no doBbsFView call: {onclick!r}"
            )
        return VIEW_URL.format(cb=call["cb"], bc=call["bc"])

    def fallback_url(self, anchor: Selector, response: Response) -> str | None:
        # The layout fallback sees the same JavaScript links: read the call, not the href.
        call = VIEW_CALL.search(anchor.attrib.get("onclick") or "")
        return VIEW_URL.format(cb=call["cb"], bc=call["bc"]) if call else None

    def next_pages(self, response: Response) -> Iterator[Request]:
        # Follow the pager only while it offers the next page number.
        page = int(response.meta.get("page", 1))
        if page >= self.run.max_pages:
            return
        offered = select(response, "div.paging a::attr(onclick)").re(r"doBbsFPag\((\d+)\)")
        if str(page + 1) in offered:
            yield self.request(with_query(response.url, pageIndex=page + 1), page=page + 1)
