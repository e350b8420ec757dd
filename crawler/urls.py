"""Canonical URLs: one spelling per document, so that URL variants deduplicate.

Lower-case scheme and host, default port dropped, fragment dropped, tracking parameters
(``utm_*``, ``fbclid``, ``gclid`` …) removed, remaining query parameters sorted, percent
escapes normalized by w3lib. The canonical URL keeps its scheme and host as the site gives
them (it is what analysts click); :func:`identity_url` is the dedup form, which ignores the
scheme and a leading ``www.``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url as w3lib_canonicalize

TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "_ga", "ref_src"}
)
DEFAULT_PORTS = {"http": 80, "https": 443}


def canonicalize_url(url: str, base: str | None = None) -> str:
    """Absolute, canonical form of ``url`` (resolved against ``base`` when relative)."""
    absolute = urljoin(base, url.strip()) if base else url.strip()
    parts = urlsplit(absolute)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    host = parts.hostname.lower()
    if parts.port and parts.port != DEFAULT_PORTS[parts.scheme]:
        host = f"{host}:{parts.port}"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith("utm_") and key.lower() not in TRACKING_PARAMS
    ]
    rebuilt = urlunsplit((parts.scheme.lower(), host, parts.path or "/", urlencode(query), ""))
    return w3lib_canonicalize(rebuilt, keep_fragments=False)


def identity_url(url: str) -> str:
    """The form of a canonical URL that identifies a document: ``https`` and no leading
    ``www.``, so that a site moving ``http://www.`` → ``https://`` is not news.

    Only the dedup key uses it; the stored and alerted URL stays the one the site gives.
    """
    parts = urlsplit(url)
    host = parts.netloc.lower()
    host = host.removeprefix("www.")
    return urlunsplit(("https", host, parts.path or "/", parts.query, ""))
