"""Finding the links in an abstract and cleaning what text extraction left on them."""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

# What a link is, as its URL says; each kind has the label its button shows.
LinkKind = Literal["code", "model", "dataset", "space", "paper", "video", "post", "project", "other"]
LABELS: dict[str, str] = {
    "code": "Code",
    "model": "Model",
    "dataset": "Dataset",
    "space": "Space",
    "paper": "Paper",
    "video": "Video",
    "post": "Post",
    "project": "Project page",
    "other": "Web page",
}
CODE_HOSTS = frozenset({"github.com", "gitlab.com", "gitee.com", "bitbucket.org", "codeberg.org", "sourceforge.net", "git.io"})
HUB_HOSTS = frozenset({"huggingface.co", "hf.co"})  # models, datasets, Spaces and papers
# Hosts whose pages are of a known kind, and hosts of pages that are nobody's project.
KIND_OF_HOST = {
    **dict.fromkeys(
        ("arxiv.org", "doi.org", "dx.doi.org", "openreview.net", "aclanthology.org",
         "semanticscholar.org", "dl.acm.org", "ieeexplore.ieee.org", "proceedings.mlr.press", "papers.nips.cc", "proceedings.neurips.cc"),
        "paper",
    ),
    **dict.fromkeys(("youtube.com", "youtu.be", "vimeo.com"), "video"),
    **dict.fromkeys(("twitter.com", "x.com", "medium.com"), "post"),
    **dict.fromkeys(("xkcd.com", "wikipedia.org", "paperswithcode.com", "google.com"), "other"),
}
# The Hub's own pages, not a model: huggingface.co/docs/…, /blog/…
HUB_SITE_PAGES = frozenset({"docs", "blog", "learn", "pricing", "join", "login", "settings", "collections", "organizations", "models", "tasks"})

URL_PATTERN = re.compile(
    r"(?:https?://|www\.|\b(?:" + "|".join(re.escape(h) for h in sorted(CODE_HOSTS | HUB_HOSTS | {"paperswithcode.com"})) + r")/)"
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
    """What the URL is: a code repository, a model, dataset or Space on the Hugging Face
    Hub, a paper, a video, a post, a project's page (any site not known to be another
    kind), or another page (an encyclopedia, a comic)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = [segment for segment in parts.path.split("/") if segment]
    if host in CODE_HOSTS:
        return "code" if path else "other"
    if host in HUB_HOSTS:
        first = path[0].lower() if path else ""
        if first in ("datasets", "spaces", "papers"):
            return {"datasets": "dataset", "spaces": "space", "papers": "paper"}[first] if len(path) > 1 else "other"
        return "model" if len(path) >= 2 and first not in HUB_SITE_PAGES else "other"
    for known, kind in KIND_OF_HOST.items():
        if host == known or host.endswith("." + known):
            return kind
    return "project"


# Every link URL_PATTERN finds starts with one of these: most abstracts have none, and the
# pattern need only run from the first one (finding them is much quicker than running the
# pattern along the whole text).
_LINK_MARKS = ("http://", "https://", "www.", *(host + "/" for host in sorted(CODE_HOSTS | HUB_HOSTS | {"paperswithcode.com"})))


def first_link_mark(lowered: str) -> int:
    """Where in a lower-cased text the first link mark is; -1 if there is none."""
    if "/" not in lowered and "www." not in lowered:  # in every mark: two scans, not a dozen
        return -1
    found = [position for position in map(lowered.find, _LINK_MARKS) if position >= 0]
    return min(found) if found else -1


def find_links(text: str) -> list[dict[str, str]]:
    """Links in order of appearance, each once: `{"url": …}`."""
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
        links.append({"url": url})
    return links
