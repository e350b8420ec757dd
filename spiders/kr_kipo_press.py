"""지식재산처 (formerly 특허청, KIPO) 보도자료, from korea.kr's ``dept_moip.xml``.

The office became 지식재산처 (MOIP) in the 2025-26 reorganisation; the source id keeps the
briefed name and older lists still name the feed ``dept_kipo.xml``. The feed's shape is
handled by :class:`spiders.korea_kr.KoreaKrPressFeedSpider`.
"""

from __future__ import annotations

from spiders.korea_kr import KoreaKrPressFeedSpider


class KrKipoPressSpider(KoreaKrPressFeedSpider):
    name = "kr_kipo_press"
