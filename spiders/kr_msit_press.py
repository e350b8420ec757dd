"""과학기술정보통신부 (MSIT) 보도자료, read from korea.kr's ministry feed ``dept_msit.xml``.

The ministry's own board (msit.go.kr, mId=307) has been filled in by JavaScript since its
2026-07 redesign and resets connections from outside Korea, so the korea.kr copy is read.
The feed's shape (newsId identity, GMT dates, release body as summary) is handled by
:class:`spiders.korea_kr.KoreaKrPressFeedSpider`.
"""

from __future__ import annotations

from spiders.korea_kr import KoreaKrPressFeedSpider


class KrMsitPressSpider(KoreaKrPressFeedSpider):
    name = "kr_msit_press"
