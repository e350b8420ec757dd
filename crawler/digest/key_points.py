"""Key points for a digest item: the feed's summary when it says more than the title, else
the detail page's main text; cut to two or three whole sentences in any language.

Pure functions (no network, no database), so every rule is tested on its own. Sentences
end at ``.``, ``!`` or ``?`` followed by white space (English, German, Korean ``…다.``) and
at ``。``, ``！``, ``？`` (Japanese, Chinese), which need no space after them; closing
quotes and brackets stay with their sentence. A full stop after a common abbreviation
(``Dr.``, ``z. B.``, ``e.g.``), a single letter or a one- or two-digit number (German
``1. Januar``) does not end a sentence. Text is cut only between characters (Python
strings are code points), never inside one.
"""

from __future__ import annotations

import re
import unicodedata

MAX_SENTENCES = 3
MIN_SENTENCES = 2
MAX_CHARS = 600
# The summary must add at least this many characters beyond the title to be worth using.
MIN_EXTRA_CHARS = 12

SHORT_LINE = 40
_CLOSER_CHARS = "\"'”’»」』）)】〉》]"
_CLOSERS = re.escape("\"'”’»」』）)】〉》]")
_CJK_END = re.compile(rf"[。！？]+[{_CLOSERS}]*")
_LATIN_END = re.compile(rf"[.!?]+[{_CLOSERS}]*(?=\s)")
_ABBREVIATIONS = frozenset(
    word.lower()
    for word in [
        "Dr",
        "Mr",
        "Mrs",
        "Ms",
        "Prof",
        "St",
        "No",
        "Nr",
        "Art",
        "Abs",
        "bzw",
        "ca",
        "vgl",
        "usw",
        "etc",
        "e.g",
        "i.e",
        "z.B",
        "z",
        "d.h",
        "u.a",
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Sept",
        "Oct",
        "Nov",
        "Dec",
        "Inc",
        "Ltd",
        "Co",
        "vs",
        "al",
        "Fig",
        "Sec",
        "Dept",
        "Mio",
        "Mrd",
        "Tsd",
        "Nr",
        "Bd",
        "Hrsg",
        "gem",
    ]
)


def normalize(text: str) -> str:
    """Single spaces: how texts are cut and shown (full-width punctuation is kept)."""
    return " ".join(text.split())


def _comparable(text: str) -> str:
    """NFKC and single spaces: how a summary is compared with its title."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def says_more(summary: str | None, title: str) -> bool:
    """True when ``summary`` tells more than ``title`` (not empty, not the title again)."""
    if not summary:
        return False
    body, head = _comparable(summary), _comparable(title)
    rest = body.replace(head, "", 1) if head else body
    return len(rest.strip(" .。:：-–—|")) >= MIN_EXTRA_CHARS


def split_sentences(text: str) -> list[str]:
    """``text`` as a list of sentences (white space normalised, nothing dropped)."""
    text = normalize(text)
    sentences: list[str] = []
    start = 0
    for end in _boundaries(text):
        piece = text[start:end].strip()
        if piece:
            sentences.append(piece)
        start = end
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


def _boundaries(text: str) -> list[int]:
    ends = {match.end() for match in _CJK_END.finditer(text)}
    for match in _LATIN_END.finditer(text):
        if not _is_abbreviation(text, match.start()):
            ends.add(match.end())
    return sorted(ends)


def _is_abbreviation(text: str, dot: int) -> bool:
    if text[dot] != ".":
        return False
    word = text[:dot].rsplit(None, 1)[-1] if text[:dot].strip() else ""
    word = word.lstrip("(\"'„“")
    if not word:
        return False
    if word.lower() in _ABBREVIATIONS:
        return True
    if len(word) == 1 and word.isalpha():
        return True  # an initial: "J. Smith", "z. B."
    return word.isdigit() and len(word) <= 2  # German ordinals: "am 1. Januar"


def cut(text: str, limit: int = MAX_CHARS) -> str:
    """``text`` shortened to ``limit`` characters, at a space when there is one, with …"""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    if space > limit // 2:
        head = head[:space]
    return head.rstrip() + "…"


def key_points(text: str, limit: int = MAX_CHARS) -> str:
    """Two or three whole sentences of ``text``: three when they fit in ``limit`` characters,
    else two, else the first one (shortened if it alone is longer than ``limit``)."""
    sentences = split_sentences(text)
    chosen: list[str] = []
    for sentence in sentences[:MAX_SENTENCES]:
        joined = _join([*chosen, sentence])
        if chosen and len(joined) > limit and len(chosen) >= 1:
            break
        chosen.append(sentence)
    return cut(_join(chosen), limit)


def _join(sentences: list[str]) -> str:
    """Sentences joined the way their script writes them: CJK without a space."""
    out = ""
    for sentence in sentences:
        if out and not _is_cjk(out[-1]) and not _is_cjk(sentence[0]):
            out += " "
        out += sentence
    return out


def _is_cjk(char: str) -> bool:
    """Ideographs, kana and CJK punctuation (not Hangul: Korean puts spaces between
    sentences)."""
    code = ord(char)
    return 0x2E80 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0xFF00 <= code <= 0xFFEF


def extract_main_text(html: str, url: str | None = None) -> str | None:
    """The main text of a detail page (navigation, menus and footers left out), one
    paragraph per line, or None."""
    # Imported here: trafilatura (and courlan, htmldate) is the heaviest import of the
    # daemon, and the store pipeline reads says_more from this module for every item; only
    # a detail page needs it.
    import trafilatura

    text = trafilatura.extract(
        html, url=url, include_comments=False, include_tables=False, deduplicate=True
    )
    if not text:
        return None
    paragraphs = [normalize(line) for line in text.splitlines()]
    return "\n".join(line for line in paragraphs if line) or None


def body_of(main_text: str, title: str) -> str:
    """The page's prose: paragraphs that repeat the title, or are short lines without a
    sentence end (a date, a byline, a heading), are left out."""
    head = _comparable(title)
    kept = []
    for line in main_text.splitlines():
        line = normalize(line)
        if not line or _comparable(line) == head:
            continue
        ends = _CJK_END.search(line[-2:]) or line.rstrip(_CLOSER_CHARS).endswith((".", "!", "?"))
        if len(line) < SHORT_LINE and not ends:
            continue
        kept.append(line)
    return "\n".join(kept)


def draft(title: str, summary: str | None, main_text: str | None) -> str:
    """The drafted key points: the summary when it says more than the title, else the
    page's main text, else nothing (the editor writes them)."""
    if says_more(summary, title):
        return key_points(summary or "")
    body = body_of(main_text, title) if main_text else ""
    if body and says_more(body, title):
        return key_points(body)
    return ""
