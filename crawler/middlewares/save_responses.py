"""``govwatch check SOURCE --save DIR``: keep every response as a fixture the tests can serve.

Each response of the check (after decompression and redirects, before any parsing) is
written to ``DIR/`` with its status and headers, and ``DIR/serve.yaml`` lists them in the
layout :mod:`tests.sourcepack` serves (``path`` with its query, ``file``, ``content_type``,
``status``, ``start`` for the source's configured URLs, plus the response ``headers``).
``DIR/SOURCE.md`` says the files are a real capture, from where and when: copied to
``tests/fixtures/<id>/``, they replace reconstructed fixtures.
"""

from __future__ import annotations

import mimetypes
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler.pipelines.run_aware import RunAware

SAVE_SETTING = "SAVE_RESPONSES_TO"
UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class SaveResponsesMiddleware(RunAware):
    """Writes responses under the folder named by the ``SAVE_RESPONSES_TO`` Scrapy setting."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        folder = crawler.settings.get(SAVE_SETTING)
        self.folder = Path(folder) if folder else None
        self.pages: list[dict[str, Any]] = []

    def process_response(self, request: Request, response: Response) -> Response:
        spider = self.spider_for(request.meta.get("source_id"))
        if self.folder is None or spider is None:  # robots.txt belongs to no source
            return response
        self.folder.mkdir(parents=True, exist_ok=True)
        parts = urlsplit(response.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        name = self._file_name(parts.path, content_type)
        (self.folder / name).write_bytes(response.body)
        starts = {str(url) for url in spider.source.urls}
        page: dict[str, Any] = {
            "path": path,
            "file": name,
            "content_type": content_type or "application/octet-stream",
            "status": response.status,
            "start": response.url in starts or request.url in starts,
            "headers": {
                key.decode("latin-1"): b", ".join(values).decode("latin-1")
                for key, values in response.headers.items()
            },
        }
        self.pages = [known for known in self.pages if known["path"] != path] + [page]
        self._write_manifest(self.folder, spider.source.id)
        return response

    def _file_name(self, url_path: str, content_type: str) -> str:
        stem = UNSAFE_NAME.sub("-", url_path.strip("/")).strip("-") or "index"
        extension = mimetypes.guess_extension(content_type.split(";")[0].strip()) or ".bin"
        if stem.endswith(extension):
            stem = stem.removesuffix(extension)
        return f"{len(self.pages) + 1:02d}-{stem[:60]}{extension}"

    def _write_manifest(self, folder: Path, source_id: str) -> None:
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        manifest = {"pages": self.pages}
        header = f"# {source_id}: responses saved by `govwatch check {source_id} --save`.\n"
        (folder / "serve.yaml").write_text(
            header + yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False),
            encoding="utf-8",
        )
        urls = "\n".join(f"- `{page['path']}` → `{page['file']}` (HTTP {page['status']})"
                         for page in self.pages)  # fmt: skip
        (folder / "SOURCE.md").write_text(
            f"# {source_id}\n\n**Provenance:** real capture, {when}, by "
            f"`govwatch check {source_id} --save` (bodies, statuses and headers as received).\n"
            f"\n{urls}\n",
            encoding="utf-8",
        )
