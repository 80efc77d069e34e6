"""Turning stored text into safe HTML: abstracts (escaped, URLs linked) and Markdown
(notes, pages), sanitized so no script, event handler or `javascript:` URL gets through."""

from __future__ import annotations

import markdown
import nh3
from markupsafe import Markup, escape

from papershelf.links import URL_PATTERN, clean_url, first_link_mark

MARKDOWN_EXTENSIONS = ["extra", "sane_lists", "smarty"]
ALLOWED_URL_SCHEMES = {"http", "https"}  # as for every other href; relative links stay


def linkify(text: str) -> Markup:
    """Escape plain text and turn the URLs in it into links (punctuation after a URL stays text)."""
    lowered = text.lower()
    if "http://" not in lowered and "https://" not in lowered:  # most abstracts: nothing to link
        return escape(text)
    parts: list[str] = []
    position = 0
    for match in URL_PATTERN.finditer(text, first_link_mark(lowered)):
        raw = match.group(0)
        url = clean_url(raw)
        if url is None or not raw.lower().startswith(("http://", "https://")):
            continue
        shown = raw[: len(url)] if raw.startswith(url) else raw
        parts.append(str(escape(text[position : match.start()])))
        parts.append(f'<a href="{escape(url)}" rel="nofollow noopener">{escape(shown)}</a>')
        position = match.start() + len(shown)
    parts.append(str(escape(text[position:])))
    return Markup("".join(parts))


def render_markdown(text: str) -> Markup:
    """Markdown to HTML, then sanitized: raw HTML in the source is allowed only as far as
    it is harmless."""
    html = markdown.markdown(text, extensions=MARKDOWN_EXTENSIONS, output_format="html")
    clean = nh3.clean(
        html,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow noopener",
    )
    return Markup(clean)


def excerpt(text: str, length: int = 280) -> str:
    """The start of a text, cut on a word boundary."""
    if len(text) <= length:
        return text
    cut = text[:length].rsplit(" ", 1)[0].rstrip(",;:.")
    return f"{cut}…"
