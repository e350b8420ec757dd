"""Topics from keywords: which policy themes a title and summary are about.

Analysts follow themes (AI, semiconductors, quantum, space, R&D budgets, export controls)
across five languages, and the sites do not tag them consistently, so topics are found by
keyword rules from ``config/routing.yaml`` (see :class:`~crawler.alerts.routing_config.TopicRule`
for how words match). Routing then uses the topics like any other field, and
``govwatch routes explain`` shows which keyword put a publication under a topic.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from crawler.alerts.routing_config import RoutingConfig, TopicRule

_ACRONYM = re.compile(r"^[A-Z][A-Z0-9&]{0,3}$")
# A Latin word ends where Latin letters end, not where \w ends: "AI" must match in "生成AIの".
_LATIN = "0-9A-Za-z\u00c0-\u024f"


def _is_spaceless_script(word: str) -> bool:
    """Chinese, Japanese and Korean words are matched as substrings (no word spaces)."""
    for char in word:
        name = unicodedata.name(char, "")
        if name.startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL")):
            return True
    return False


def word_pattern(word: str) -> re.Pattern[str]:
    """The regular expression one literal keyword stands for."""
    word = _normalized(word)
    stem, prefix = (word[:-1], True) if word.endswith("*") else (word, False)
    body = re.escape(stem)
    if _is_spaceless_script(stem):
        return re.compile(body)
    tail = f"[{_LATIN}]*" if prefix else f"(?![{_LATIN}])"
    flags = 0 if _ACRONYM.match(stem) else re.IGNORECASE
    return re.compile(f"(?<![{_LATIN}]){body}{tail}", flags)


@dataclass(frozen=True)
class TopicHit:
    """Why a topic applies: the keyword rule and the text it matched in which field."""

    topic: str
    rule: str
    field: str
    matched: str


class TopicMatcher:
    """Compiled keyword rules; build once per crawl, ask once per item."""

    def __init__(self, topics: dict[str, TopicRule]) -> None:
        self.rules: list[tuple[str, str, re.Pattern[str]]] = []
        for topic, rule in topics.items():
            for word in rule.all_words():
                self.rules.append((topic, f"word {word!r}", word_pattern(word)))
            for pattern in rule.patterns:
                self.rules.append(
                    (topic, f"pattern {pattern!r}", re.compile(pattern, re.IGNORECASE))
                )

    @classmethod
    def from_routing(cls, routing: RoutingConfig) -> TopicMatcher:
        return cls(routing.topics)

    def explain(self, title: str, summary: str | None) -> list[TopicHit]:
        """The first matching keyword of each topic, in the file's topic order."""
        hits: dict[str, TopicHit] = {}
        texts = (("title", _normalized(title)), ("summary", _normalized(summary or "")))
        for topic, rule, pattern in self.rules:
            if topic in hits:
                continue
            for field, text in texts:
                found = pattern.search(text)
                if found:
                    hits[topic] = TopicHit(topic, rule, field, found.group(0))
                    break
        return list(hits.values())

    def topics_of(self, title: str, summary: str | None) -> list[str]:
        return [hit.topic for hit in self.explain(title, summary)]


def _normalized(text: str) -> str:
    """NFKC, so full-width ＡＩ in a Japanese title matches the keyword AI."""
    return unicodedata.normalize("NFKC", text)
