"""Scrapy settings for every govwatch crawl: polite, bounded and safe by default.

Order numbers of middlewares and pipelines live here and only here, spaced by 100.
"""

from __future__ import annotations

from scrapy.settings.default_settings import EXTENSIONS_BASE as SCRAPY_EXTENSIONS

from crawler.fetch_identity import DETAIL_MAX_CRAWL_DELAY
from crawler.fetch_identity import USER_AGENT as FETCH_USER_AGENT

BOT_NAME = "govwatch"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

USER_AGENT = FETCH_USER_AGENT  # the digest's detail fetch says the same
ROBOTSTXT_OBEY = True
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "WARNING"

# Politeness: one or two requests at a time per host, adaptive delays.
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 2
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30
DOWNLOAD_DELAY = 0

# Bounds: a government page is never larger than this; a hung server must not hang a run.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2
HTTPCACHE_ENABLED = False  # conditional requests are our own (ConditionalGetMiddleware)
COOKIES_ENABLED = True
REDIRECT_MAX_TIMES = 5

# Safety first: SafetyMiddleware (50) judges every request before the robots.txt middleware
# (100, cached in the database) can fetch anything; RefusedAddressMiddleware (950) sits next
# to the downloader, so a host the resolver refused is reported before RetryMiddleware (550)
# asks again. Host names are checked by crawler.safe_resolver, which the reactor
# connects with (installed by crawler.service.reactor and by SafetyMiddleware).
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.safety.SafetyMiddleware": 50,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.robots_cache.CachedRobotsTxtMiddleware": 100,
    "crawler.middlewares.conditional_get.ConditionalGetMiddleware": 200,
    "crawler.middlewares.safety.RefusedAddressMiddleware": 950,
}
ITEM_PIPELINES = {
    "crawler.pipelines.normalize.NormalizePipeline": 100,
    "crawler.pipelines.validate.ValidatePipeline": 200,
    "crawler.pipelines.topics.TopicsPipeline": 250,
    "crawler.pipelines.store.StorePipeline": 300,
}
# Scrapy's extensions without its two consoles. Scrapy ≥ 2.19 enables RemoteControl by
# default: an HTTP server on localhost that runs Python code sent to it, started for every
# crawl (a job file with its token under ~/.local/state/scrapy); govwatch offers neither
# console. Scrapy imports every extension named in EXTENSIONS_BASE or EXTENSIONS, even one
# set to None, so they are left out of the base list: RemoteControl's import (aiohttp's
# server) is ~11 MB of the daemon's memory, the telnet console's pulls in twisted.conch.
_CONSOLES = (
    "scrapy.extensions.telnet.TelnetConsole",
    "scrapy.extensions.remote_control.RemoteControl",
)
EXTENSIONS_BASE = {
    path: order for path, order in SCRAPY_EXTENSIONS.items() if path not in _CONSOLES
}
REMOTE_CONTROL_ENABLED = False  # should a later Scrapy bring it back by another name
EXTENSIONS = {"crawler.detail_pages.DetailPages": 500}

# Detail pages (crawler/detail_pages.py, for the digest's key points): at most this many per
# source per run, so a burst of new items cannot hammer a site (0 turns them off) …
GOVWATCH_DETAIL_PAGES_PER_SOURCE = 5
# … and none from a host whose robots.txt Crawl-delay is longer than this (seconds): five
# pages would hold the whole crawl open for five times that.
GOVWATCH_DETAIL_MAX_CRAWL_DELAY = DETAIL_MAX_CRAWL_DELAY
