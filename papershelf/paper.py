"""The paper model: what one record of the catalog holds, and how ids, slugs and short
names derive from a title."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from slugify import slugify

from papershelf.links import LABELS, LinkKind, link_kind, web_url

SLUG_MAX_LENGTH = 50  # a slug is in every link to its paper: on lists, related papers, sitemaps
SHORT_NAME_MAX_WORDS = 4


# Strict: a file's `hidden: "yes"` or `position: "3"` is a mistake to report, not to guess at.
STRICT = ConfigDict(extra="forbid", strict=True)


class Link(BaseModel):
    model_config = STRICT

    url: Annotated[str, AfterValidator(web_url)]  # it becomes an href: http(s) only
    # What the link is when its URL does not say it (set by hand); else found from the URL.
    kind: LinkKind | None = None

    @property
    def what(self) -> str:
        return self.kind or link_kind(self.url)

    @property
    def label(self) -> str:
        return LABELS[self.what]


class Source(BaseModel):
    """One appearance of the paper in a dump."""

    model_config = STRICT

    dump: str
    position: int = Field(ge=1)
    date: str | None = None


class Paper(BaseModel):
    """One paper of the catalog, as stored in `content/papers/<slug>.yaml`.

    Field order is the file's key order. `auto_tags` records what the tag rules gave at the
    last ingest, so that tags a person added or removed in `tags` can be told apart and kept.
    """

    model_config = STRICT

    id: str = Field(pattern=r"^[0-9a-f]{12}$")
    slug: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    title: str = Field(min_length=1)
    short_name: str | None = None
    abstract: str = ""
    # Lists default through a factory: pydantic deep-copies a default `[]` for every paper.
    links: list[Link] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    hidden: bool = False
    notes: str = ""
    first_seen: str
    sources: list[Source] = Field(min_length=1)
    auto_tags: list[str] = Field(default_factory=list)

    def to_data(self) -> dict:
        """The YAML mapping: empty optional fields are left out to keep files short."""
        data = self.model_dump(exclude_none=True)
        for key in ("links", "notes", "auto_tags"):
            if not data[key]:
                del data[key]
        if not data["hidden"]:
            del data["hidden"]
        for source in data["sources"]:
            if source.get("date") is None:
                source.pop("date", None)
        return data

    @property
    def name_beside_title(self) -> str:
        """The short name where pages show it beside the title: not when the title says it
        already (`Q-VLM: …`), which is most of the time."""
        return self.short_name if self.short_name and self.short_name not in self.title else ""

    @property
    def code_links(self) -> list[Link]:
        return [link for link in self.links if link.what == "code"]


def normalize_title(title: str) -> str:
    """The key two captures of one title share: Unicode-normalized, case and spacing folded."""
    folded = unicodedata.normalize("NFKC", title).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", folded).split())


def paper_id(title: str) -> str:
    return hashlib.sha256(normalize_title(title).encode("utf-8")).hexdigest()[:12]


def title_slug(title: str) -> str:
    """ASCII and readable: `γ-MoD: …` becomes `g-mod-…`; cut on a word boundary."""
    slug = slugify(title, max_length=SLUG_MAX_LENGTH, word_boundary=True, save_order=True)
    return slug or "paper"


def unique_slug(base: str, identifier: str, taken: set[str]) -> str:
    """A title's slug (`base`), or with the id's first characters when another paper has it."""
    if base not in taken:
        return base
    for length in range(6, len(identifier) + 1):
        candidate = f"{base}-{identifier[:length]}"
        if candidate not in taken:
            return candidate
    raise ValueError(f"no free slug for {base!r}")  # would need a 12-hex-digit id collision


def short_name(title: str) -> str | None:
    """The name before the colon (`Q-VLM`, `SHERL`), when the part before it is a name and
    not the start of a sentence: one word, or a few words each capitalized or mixed-case."""
    head, colon, rest = title.partition(":")
    head = head.strip()
    if not colon or not rest.strip() or not head:
        return None
    words = head.split()
    if len(words) > SHORT_NAME_MAX_WORDS:
        return None
    if len(words) == 1 or all(any(char.isupper() or char.isdigit() for char in word) for word in words):
        return head
    return None
