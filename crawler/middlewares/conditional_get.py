"""Conditional GET: ask only for what changed since the last successful run.

The stored ETag / Last-Modified of each URL go out as If-None-Match / If-Modified-Since; a
304 ends that URL's work cheaply (the spider sees it and stops). New validators are only
kept in the run state here; the runner saves them after the run stored everything, so a
failed run is fetched in full next time.

A publication's detail page (crawler/detail_pages.py) is not one of the source's URLs: it
is asked for unconditionally, and its status and validators stay out of the run's record.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.http import Response

from crawler.detail_pages import is_detail_request
from crawler.pipelines.run_aware import RunAware


class ConditionalGetMiddleware(RunAware):
    def process_request(self, request: Request) -> None:
        run = self.run_for(request.meta.get("source_id"))
        if run is None or request.meta.get("unconditional") or is_detail_request(request):
            return
        etag, last_modified = run.validators.get(request.url, (None, None))
        if etag:
            request.headers.setdefault(b"If-None-Match", etag.encode("latin-1"))
        if last_modified:
            request.headers.setdefault(b"If-Modified-Since", last_modified.encode("latin-1"))

    def process_response(self, request: Request, response: Response) -> Response:
        run = self.run_for(request.meta.get("source_id"))
        if run is None or is_detail_request(request):
            return response  # robots.txt fetches are Scrapy's business, not a source's
        run.statuses[response.status] += 1
        if response.status == 304:
            run.not_modified_urls.add(request.url)
        elif 200 <= response.status < 300:
            etag = response.headers.get(b"ETag")
            last_modified = response.headers.get(b"Last-Modified")
            if etag or last_modified:
                run.new_validators[request.url] = (
                    etag.decode("latin-1") if etag else None,
                    last_modified.decode("latin-1") if last_modified else None,
                )
        return response
