"""Properties of crawler.urls: canonicalization is idempotent, gives an absolute http(s)
URL or refuses with ValueError, and identity ignores the scheme and a leading ``www.``."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from hypothesis import assume, given
from hypothesis import strategies as st

from crawler.urls import canonicalize_url, identity_url
from tests.property.settings import property_settings

LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
HOSTS = st.lists(LABEL, min_size=1, max_size=3).map(lambda labels: ".".join([*labels, "gov"]))
SEGMENT = st.one_of(
    st.text(min_size=1, max_size=12).map(lambda s: quote(s, safe="")),
    st.sampled_from(["news", "2026", "a b", "%7E", "~x", "..", ".", "index.html", "ÿ", "報道"]),
)
QUERY_KEYS = st.sampled_from(["id", "page", "utm_source", "fbclid", "q", "Lang", "gclid", "a"])
QUERY_VALUES = st.one_of(st.text(max_size=8), st.sampled_from(["", "1", "a+b", "%20", "報"]))


@st.composite
def urls(draw: st.DrawFn) -> tuple[str, str, str]:
    """(url, host without www., scheme) for a generated http(s) URL."""
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https"]))
    host = draw(HOSTS)
    shown = draw(st.sampled_from(["", "www.", "WWW."])) + draw(
        st.sampled_from([host, host.upper()])
    )
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    path = "/" + "/".join(draw(st.lists(SEGMENT, max_size=4)))
    params = draw(st.lists(st.tuples(QUERY_KEYS, QUERY_VALUES), max_size=4))
    query = "&".join(f"{quote(k)}={quote(v)}" for k, v in params)
    fragment = draw(st.sampled_from(["", "#top", "#報"]))
    url = f"{scheme}://{shown}{port}{path}" + (f"?{query}" if query else "") + fragment
    return url, host, scheme.lower()


@property_settings(200)
@given(urls())
def test_canonicalization_is_idempotent(generated: tuple[str, str, str]) -> None:
    url, _, _ = generated
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once
    assert identity_url(identity_url(once)) == identity_url(once)
    parts = urlsplit(once)
    assert parts.scheme in {"http", "https"}
    assert parts.hostname
    assert not parts.fragment
    assert "utm_" not in parts.query
    assert "fbclid" not in parts.query


@property_settings(200)
@given(urls(), st.sampled_from(["http", "https"]), st.sampled_from(["", "www."]))
def test_identity_ignores_the_scheme_and_a_leading_www(
    generated: tuple[str, str, str], scheme: str, www: str
) -> None:
    url, _, _ = generated
    canonical = canonicalize_url(url)
    parts = urlsplit(canonical)
    host = parts.netloc.removeprefix("www.")
    # A non-default port belongs to one scheme; moving it to the other is another address.
    assume(":" not in host)
    moved = canonicalize_url(
        canonical.replace(f"{parts.scheme}://{parts.netloc}", f"{scheme}://{www}{host}", 1)
    )
    assert identity_url(moved) == identity_url(canonical)


@property_settings(200)
@given(urls(), urls())
def test_different_paths_on_one_host_keep_different_identities(
    first: tuple[str, str, str], second: tuple[str, str, str]
) -> None:
    a, b = canonicalize_url(first[0]), canonicalize_url(second[0])
    if urlsplit(a).path != urlsplit(b).path:
        assert identity_url(a) != identity_url(b)


@property_settings(150)
@given(
    st.one_of(st.text(max_size=80), urls().map(lambda g: g[0][: len(g[0]) // 2])),
    st.sampled_from([None, "https://agency.gov/news/"]),
)
def test_any_text_is_a_canonical_url_or_a_value_error(text: str, base: str | None) -> None:
    try:
        canonical = canonicalize_url(text, base)
    except ValueError:
        return
    assert urlsplit(canonical).scheme in {"http", "https"}
    assert canonicalize_url(canonical) == canonical
