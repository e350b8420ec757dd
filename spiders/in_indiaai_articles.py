"""IndiaAI (indiaai.gov.in): the article list, read from the data the server embeds for the app.

``/articles/all`` is an Angular application: the cards are drawn by script, and public
scrapers of 2026 read the list with a headless browser. An Angular page rendered on the
server carries the answers of the API calls it made in ``<script id="ng-state"
type="application/json">`` (TransferState, so that the browser does not call them again):
a JSON object whose values are ``{"b": body, "s": status, "u": request URL, …}`` (Angular
17+; ``body``/``url`` in older versions). That embedded answer *is* the site's JSON API, read
without guessing its URL; the entry whose body holds a list at the configured
``api.items_path`` is the article list, and the ``api`` fields map its records as for any
JSON API. The request URL is logged, so a live check also tells which API to use directly.

Older Angular (before 16) wrote the state HTML-escaped (``&q;`` for ``"``); both are read.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from scrapy.http import Response, TextResponse

from crawler.errors import FeedParseError, LayoutChanged
from spiders.json_api import JsonApiSpider, dig

logger = logging.getLogger(__name__)

LINK_TEMPLATE_FIELD = re.compile(r"\{([^{}]+)\}")  # {slug} in api.link_template

# Angular's HTML escaping of the state script before version 16.
OLD_ANGULAR_ESCAPES = {"&q;": '"', "&s;": "'", "&l;": "<", "&g;": ">", "&a;": "&"}


class InIndiaaiArticlesSpider(JsonApiSpider):
    """indiaai.gov.in/articles/all; see the module docstring for where the records sit."""

    name = "in_indiaai_articles"

    state_script = 'script[type="application/json"][id$="-state"]::text'

    def decode(self, response: Response) -> Any:
        """The API answer embedded in the page, in place of a JSON body."""
        state = self._parse_state(response)
        path = self.fields.items_path
        for entry in state.values():
            body, request_url = self._body_and_url(entry)
            records = dig(body, path)
            if isinstance(records, list):
                logger.info("%s: the list comes from %s", self.source.id, request_url)
                self._check_fields(records, response)
                return body
        found = ", ".join(str(self._body_and_url(entry)[1]) for entry in state.values())
        raise LayoutChanged(
            self.source.id,
            response.url,
            f"no embedded API answer holds a list at {path!r} (answers of: {found or 'none'})",
        )

    def _check_fields(self, records: list[Any], response: Response) -> None:
        """The configured fields are guesses until a live check: name the keys if they miss."""
        first = records[0] if records else None
        if not isinstance(first, dict):
            return  # an empty list or odd records: the JSON API spider says what is wrong
        fields = self.fields
        wanted = [fields.title, fields.date, *_template_fields(fields.link_template)]
        missing = [name for name in wanted if dig(first, name) is None]
        if missing:
            raise LayoutChanged(
                self.source.id,
                response.url,
                f"the records have no {', '.join(missing)} (their keys: {', '.join(first)})",
            )

    def _parse_state(self, response: Response) -> dict[str, Any]:
        if not isinstance(response, TextResponse) or not response.body.strip():
            raise FeedParseError(self.source.id, response.url, "the page is empty or not HTML")
        raw = response.css(self.state_script).get()
        if raw is None:
            raise LayoutChanged(
                self.source.id,
                response.url,
                "no Angular TransferState (script#ng-state) in the page: the list is drawn "
                "in the browser only",
            )
        if raw.lstrip().startswith("{&q;"):
            for escaped, plain in OLD_ANGULAR_ESCAPES.items():
                raw = raw.replace(escaped, plain)
        try:
            state = json.loads(raw)
        except ValueError as exc:
            raise FeedParseError(
                self.source.id, response.url, f"the TransferState is not JSON ({exc})"
            ) from exc
        if not isinstance(state, dict):
            raise FeedParseError(self.source.id, response.url, "the TransferState is not an object")
        return state

    @staticmethod
    def _body_and_url(entry: Any) -> tuple[Any, str | None]:
        """An HTTP-cache entry's body and request URL (Angular 17+ short keys, or long ones)."""
        if not isinstance(entry, dict):
            return None, None
        if "b" in entry:
            return entry["b"], entry.get("u")
        return entry.get("body"), entry.get("url")


def _template_fields(template: str | None) -> list[str]:
    """The record fields a link template needs: ``{slug}`` → ``slug``."""
    return LINK_TEMPLATE_FIELD.findall(template or "")
