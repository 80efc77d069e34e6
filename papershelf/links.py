"""Finding the links in an abstract and cleaning what text extraction left on them."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

CODE_HOSTS = frozenset(
    {
        "github.com",
        "gitlab.com",
        "gitee.com",
        "bitbucket.org",
        "huggingface.co",
        "hf.co",
        "codeberg.org",
        "sourceforge.net",
        "git.io",
        "paperswithcode.com",
    }
)
# Hosts of papers, videos and posts about the paper rather than its code or homepage.
OTHER_HOSTS = frozenset(
    {
        "arxiv.org",
        "doi.org",
        "dx.doi.org",
        "openreview.net",
        "aclanthology.org",
        "youtube.com",
        "youtu.be",
        "twitter.com",
        "x.com",
        "xkcd.com",
        "wikipedia.org",
    }
)

URL_PATTERN = re.compile(
    r"(?:https?://|www\.|\b(?:" + "|".join(re.escape(h) for h in sorted(CODE_HOSTS)) + r")/)"
    r"[^\s<>\"'{}|\\^`\[\]]*(?:\\_[^\s<>\"'{}|\\^`\[\]]*)*",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?*'\""
_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}(?::\d+)?$", re.IGNORECASE)


def clean_url(raw: str) -> str | None:
    """Trim sentence punctuation, unbalanced brackets and LaTeX escapes; None if no URL is left."""
    url = raw.replace("\\_", "_").replace("\\%", "%").replace("\\&", "&").replace("\\#", "#")
    while url:
        if url[-1] in _TRAILING:
            url = url[:-1]
        elif url[-1] == ")" and url.count(")") > url.count("("):
            url = url[:-1]
        else:
            break
    if not url.lower().startswith(("http://", "https://")):
        url = "https://" + url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not _HOST.match(parts.netloc.rsplit("@", 1)[-1]) or not host:
        return None
    return url


_UNSAFE_IN_URL = re.compile(r"[\s\x00-\x1f\x7f<>\"'`\\]")


def web_url(value: str) -> str:
    """`value` when it is an http(s) URL with a host, and nothing a browser would read as
    something else: only such URLs may become a link. Raises ValueError otherwise (a
    `javascript:`, `data:` or `vbscript:` URL, however spelled, or a relative one)."""
    if _UNSAFE_IN_URL.search(value):
        raise ValueError("a URL may not hold spaces, control characters, quotes or angle brackets")
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not value.lower().startswith(("http://", "https://")):
        raise ValueError(f"only http:// and https:// URLs may be links, not {value[:40]!r}")
    if not parts.hostname:
        raise ValueError(f"the URL {value[:40]!r} has no host")
    return value


def _is_web_url(url: str) -> bool:
    try:
        web_url(url)
    except ValueError:
        return False
    return True


def link_kind(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    if host in CODE_HOSTS:
        return "code"
    if host in OTHER_HOSTS or any(host.endswith("." + other) for other in OTHER_HOSTS):
        return "other"
    return "project"


# Every link URL_PATTERN finds starts with one of these: most abstracts have none, and the
# pattern need only run from the first one (finding them is much quicker than running the
# pattern along the whole text).
_LINK_MARKS = ("http://", "https://", "www.", *(host + "/" for host in sorted(CODE_HOSTS)))


def first_link_mark(lowered: str) -> int:
    """Where in a lower-cased text the first link mark is; -1 if there is none."""
    if "/" not in lowered and "www." not in lowered:  # in every mark: two scans, not a dozen
        return -1
    found = [position for position in map(lowered.find, _LINK_MARKS) if position >= 0]
    return min(found) if found else -1


def find_links(text: str) -> list[dict[str, str]]:
    """Links in order of appearance, each once: `{"url": …, "kind": code|project|other}`."""
    start = first_link_mark(text.lower())
    if start < 0:
        return []
    links: list[dict[str, str]] = []
    seen: set[str] = set()
    for match in URL_PATTERN.finditer(text, start):
        url = clean_url(match.group(0))
        if url is None or url.lower() in seen or not _is_web_url(url):
            continue
        seen.add(url.lower())
        links.append({"url": url, "kind": link_kind(url)})
    return links
