"""산업통상부 (formerly 산업통상자원부, MOTIE) 보도자료, from korea.kr's ``dept_motir.xml``.

The ministry was renamed in 2026 (motie.go.kr → motir.go.kr) and older lists still name the
feed ``dept_motie.xml``. Its own board links rows as ``javascript:article.view('<id>')``, so
the korea.kr copy is read; the feed's shape is handled by
:class:`spiders.korea_kr.KoreaKrPressFeedSpider`.
"""

from __future__ import annotations

from spiders.korea_kr import KoreaKrPressFeedSpider


class KrMotiePressSpider(KoreaKrPressFeedSpider):
    name = "kr_motie_press"
