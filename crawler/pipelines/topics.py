"""Tag each item with the policy topics its title and summary mention (AI, quantum, …).

Runs after validation and before storage, so the stored publication, the routing decision
and the alert all see the same topics. The keyword rules live in ``config/routing.yaml``
(crawler/alerts/topics.py explains how words match). Topics a spider already set (a
site's own tags, e.g. MEXT's 科学技術・学術) are kept, after the keyword topics.
"""

from __future__ import annotations

from scrapy.crawler import Crawler

from crawler.alerts.routing_config import default_routing_path, load_routing
from crawler.alerts.topics import TopicMatcher
from crawler.app_config import load_app_config
from crawler.items import PublicationItem
from crawler.pipelines.run_aware import RunAware


class TopicsPipeline(RunAware):
    """The topic words come from the routing file of the app configuration the crawl was
    started with (``CrawlOptions.app_config`` on the crawl's BatchSpider, as the store
    pipeline routes with it), so topics and routes agree; a crawl started without one (a
    check) reads the configuration from disk."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        # Read once per crawl: a broken routing file stops the crawl with file:line, before
        # any item is stored without its topics.
        config = self.batch.app_config or load_app_config()
        self.matcher = TopicMatcher.from_routing(load_routing(default_routing_path(config)))

    def process_item(self, item: PublicationItem) -> PublicationItem:
        found = self.matcher.topics_of(item.title, item.summary)
        seen = {topic.casefold() for topic in found}
        item.topics = found + [topic for topic in item.topics if topic.casefold() not in seen]
        return item
