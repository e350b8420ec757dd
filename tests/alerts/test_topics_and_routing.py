"""Topics from keywords in five languages, routing rules, and routing.yaml errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from crawler.alerts.router import CONSOLE, publication_router
from crawler.alerts.routing import RoutedFields, decide
from crawler.alerts.routing_config import RoutingConfig, load_routing
from crawler.alerts.topics import TopicMatcher
from crawler.app_config import AppConfig
from crawler.errors import ConfigError
from tests.alerts.conftest import ROUTING, item

CASES = yaml.safe_load((Path(__file__).with_name("topic_cases.yaml")).read_text("utf-8"))


@pytest.fixture(scope="module")
def matcher() -> TopicMatcher:
    return TopicMatcher.from_routing(load_routing(ROUTING))


@pytest.mark.parametrize("case", CASES, ids=[case["title"][:40] for case in CASES])
def test_topics_from_keywords(matcher: TopicMatcher, case: dict[str, Any]) -> None:
    found = matcher.topics_of(case["title"], case.get("summary"))
    assert sorted(found) == sorted(case["topics"])


def routing(text: str, tmp_path: Path) -> RoutingConfig:
    path = tmp_path / "routing.yaml"
    path.write_text(text, encoding="utf-8")
    return load_routing(path)


RULES = """
topics:
  AI: {words: [AI]}
  Quantum: {words: [quantum, 量子]}
routes:
  - name: AI
    match: {topics: [ai]}
    channels: ["#ai-policy"]
  - name: Japan
    match: {country: JP}
    channels: ["#jp-policy", "ai-policy"]
  - name: Everything from MEXT
    match: {source: "jp_mext_*", publisher: "Ministry of Education"}
    channels: ["#jp-policy"]
  - name: German press releases
    match: {language: de, doc_type: [press release]}
    channels: ["#de"]
"""


def test_a_publication_goes_to_each_matched_channel_once(tmp_path: Path) -> None:
    rules = routing(RULES, tmp_path)
    fields = RoutedFields(
        source_id="jp_mext_news",
        country="JP",
        publisher="Ministry of Education, Culture, Sports, Science and Technology",
        doc_type="news",
        language="ja",
        topics=("AI",),
    )
    decision = decide(rules, fields, "#policy-alerts")
    assert decision.channels == ["#ai-policy", "#jp-policy"]
    assert [hit.route for hit in decision.hits] == ["AI", "Japan", "Everything from MEXT"]
    assert decision.hits[2].because == [
        "source jp_mext_*",
        "publisher Ministry of Education",
    ]
    assert decision.misses == [("German press releases", "doc_type is not press release")]
    assert not decision.used_default


def test_no_matching_route_means_the_default_channel(tmp_path: Path) -> None:
    fields = RoutedFields("us_nsf_news", "US", "NSF", "news", "en", ())
    decision = decide(routing(RULES, tmp_path), fields, "#policy-alerts")
    assert (decision.channels, decision.used_default) == (["#policy-alerts"], True)


def test_the_router_uses_topics_and_rules_with_a_token(config: AppConfig) -> None:
    route = publication_router(config)
    tagged = item(1, country="JP", topics=["AI", "Export controls"])  # by TopicsPipeline
    assert route(tagged) == (
        "slack:#ai-policy",
        "slack:#semis",
        "slack:#jp-policy",
    )
    assert route(item(2, title="Forest trails")) == ("slack:#policy-alerts",)


def test_without_a_token_everything_goes_to_the_console(
    config: AppConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    assert publication_router(config)(item(1, topics=["AI"])) == (CONSOLE,)


def test_without_any_channel_alerts_fall_back_to_the_console(
    config: AppConfig, tmp_path: Path
) -> None:
    (tmp_path / "r.yaml").write_text("routes: []\n")
    bare = config.model_copy(
        update={
            "slack": config.slack.model_copy(
                update={"default_channel": None, "routing_file": tmp_path / "r.yaml"}
            )
        }
    )
    assert publication_router(bare)(item(1)) == (CONSOLE,)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "topics:\n  AI:\n    words: [AI]\nroutes:\n  - name: x\n    match: {topics: [Al]}\n"
            "    channels: [a]\n",
            'routing.yaml:6 routes.0.match.topics: unknown topic "Al" (did you mean "AI"?)',
        ),
        (
            "topics:\n  AI:\n    words: [AI]\n    patterns: ['(unclosed']\n",
            "routing.yaml:4 topics.AI.patterns: pattern '(unclosed' is not a regular expression",
        ),
        (
            "routes:\n  - name: x\n    match:\n      contry: JP\n    channels: [a]\n",
            "routing.yaml:4 routes.0.match.contry: unknown field",
        ),
        ("routes:\n  - name: x\n    channels: []\n", "routing.yaml:3 routes.0.channels:"),
        ("topics:\n  AI: {}\n", "routing.yaml:2 topics.AI: a topic needs at least one entry"),
    ],
)
def test_routing_errors_name_file_line_and_field(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        routing(text, tmp_path)
    assert message in str(error.value)
