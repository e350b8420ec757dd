"""The routing example in docs/alerts.md loads and routes as the text says."""

from __future__ import annotations

import re
from pathlib import Path

from crawler.alerts.routing import RoutedFields, decide
from crawler.alerts.routing_config import load_routing
from crawler.alerts.topics import TopicMatcher
from crawler.app_config import SlackSettings
from tests.alerts.conftest import ROOT

DOC = (ROOT / "docs" / "alerts.md").read_text(encoding="utf-8")


def test_the_routing_example_loads_and_routes(tmp_path: Path) -> None:
    [example] = re.findall(r"```yaml\n(.*?)```", DOC, flags=re.DOTALL)
    path = tmp_path / "routing.yaml"
    path.write_text(example, encoding="utf-8")
    routing = load_routing(path)
    topics = TopicMatcher.from_routing(routing).topics_of("生成AIの輸出管理", None)
    assert topics == ["AI", "Export controls"]
    fields = RoutedFields("jp_mext_news", "JP", "MEXT", "news", "ja", tuple(topics))
    assert decide(routing, fields, None).channels == ["#ai-policy", "#jp-policy"]


def test_every_slack_setting_is_documented() -> None:
    for name in SlackSettings.model_fields:
        assert f"| `{name}` |" in DOC, name
