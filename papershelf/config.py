"""The typed, validated `config.yaml`: site settings, paths and tag rules.

Paths in the file are relative to the file itself, so a catalog can be built from any
working directory.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from papershelf.errors import PapershelfError
from papershelf.links import web_url
from papershelf.tagging import Tagger, tag_slug
from papershelf.validation import invalid
from papershelf.yamlio import parse_yaml, read_text

# A path segment of base_url: URL-safe characters only, since it starts every link.
_PATH_SEGMENT = re.compile(r"^[A-Za-z0-9._~-]+$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class SiteSettings(_Strict):
    title: str = "Papershelf"
    description: str = "A browsable, searchable catalog of research papers."
    base_url: str = "/"
    site_url: str = ""
    language: str = "en"
    papers_per_page: int = Field(default=50, ge=1, le=1000)
    feed_size: int = Field(default=50, ge=1, le=1000)
    related_count: int = Field(default=5, ge=0, le=50)

    @field_validator("base_url")
    @classmethod
    def _normalize_base_url(cls, value: str) -> str:
        return normalize_base_url(value)

    @field_validator("site_url")
    @classmethod
    def _check_site_url(cls, value: str) -> str:
        return normalize_site_url(value)


class Paths(_Strict):
    dumps: str = "dumps"
    content: str = "content"
    templates: str = "templates"
    static: str = "static"
    output: str = "site"
    cache: str = ".cache"


class TagRule(_Strict):
    """A tag and what assigns it: words or phrases (word boundaries, any case; spaces
    and hyphens interchangeable) and, prefixed `re:`, regular expressions. `strong` terms
    tag a paper on one mention; `match` terms, generic words, need the title or a repeat;
    `exclude` phrases use the tag's words in another sense and cover them."""

    name: str = Field(min_length=1)
    slug: str | None = Field(default=None, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    strong: list[str] = []
    match: list[str] = []
    exclude: list[str] = []

    @property
    def page_slug(self) -> str:
        """The slug of the tag's page: the one given, or the name's."""
        return self.slug or tag_slug(self.name)

    @field_validator("strong", "match")
    @classmethod
    def _patterns_compile(cls, values: list[str]) -> list[str]:
        for value in values:
            if value.startswith("re:"):
                try:
                    re.compile(value[3:])
                except re.error as error:
                    raise ValueError(f"bad regular expression {value!r}: {error}") from None
        return values

    @field_validator("exclude")
    @classmethod
    def _phrases_only(cls, values: list[str]) -> list[str]:
        for value in values:
            if value.startswith("re:"):
                raise ValueError(f"an exclusion is a phrase, not a regular expression: {value!r}")
        return values

    @model_validator(mode="after")
    def _assigns_something(self) -> TagRule:
        if not self.strong and not self.match:
            raise ValueError(f"the tag {self.name!r} has no terms: give it `strong` or `match` terms")
        return self


class Config(_Strict):
    site: SiteSettings = SiteSettings()
    paths: Paths = Paths()
    max_tags_per_paper: int = Field(default=4, ge=1, le=50)
    tags: list[TagRule] = []

    @field_validator("tags")
    @classmethod
    def _one_page_per_tag(cls, rules: list[TagRule]) -> list[TagRule]:
        """Two rules with one name or one slug would share a tag page: one would be lost."""
        names: dict[str, str] = {}
        slugs: dict[str, str] = {}
        for rule in rules:
            slug = rule.page_slug
            if rule.name in names or slug in slugs:
                other = names.get(rule.name) or slugs[slug]
                raise ValueError(f"the tags {other!r} and {rule.name!r} would have one page, tags/{slug}/: give one another name or slug")
            names[rule.name] = slugs[slug] = rule.name
        return rules


class Settings:
    """A loaded config with its paths resolved against the config file's folder."""

    def __init__(self, config: Config, root: Path, source: Path | None = None):
        self.config = config
        self.root = root
        self.source = source

    @property
    def site(self) -> SiteSettings:
        return self.config.site

    def tagger(self) -> Tagger:
        return Tagger(self.config.tags, self.config.max_tags_per_paper)

    def path(self, name: str) -> Path:
        return (self.root / getattr(self.config.paths, name)).resolve()

    @property
    def dumps_dir(self) -> Path:
        return self.path("dumps")

    @property
    def content_dir(self) -> Path:
        return self.path("content")

    @property
    def templates_dir(self) -> Path:
        return self.path("templates")

    @property
    def static_dir(self) -> Path:
        return self.path("static")

    @property
    def output_dir(self) -> Path:
        return self.path("output")

    @property
    def cache_dir(self) -> Path:
        return self.path("cache")

    def with_urls(self, base_url: str | None = None, site_url: str | None = None) -> Settings:
        """The same settings served elsewhere (command-line overrides of config.yaml)."""
        update = {key: value for key, value in (("base_url", base_url), ("site_url", site_url)) if value is not None}
        try:
            site = SiteSettings.model_validate(self.config.site.model_dump() | update)
        except ValidationError as error:
            first = error.errors()[0]
            option = "--" + str(first["loc"][0]).replace("_", "-")
            raise PapershelfError(option, first["msg"].removeprefix("Value error, ")) from None
        return Settings(self.config.model_copy(update={"site": site}), self.root, self.source)


def normalize_base_url(value: str) -> str:
    """`/`, `/repo/`: always one leading and one trailing slash, so links can be joined."""
    value = value.strip()
    if "://" in value:
        raise ValueError("base_url is a path such as / or /repo/, not a full URL (use site_url)")
    parts = [part for part in value.split("/") if part]
    for part in parts:
        if not _PATH_SEGMENT.match(part) or part in (".", ".."):
            raise ValueError(f"base_url is a path of letters, digits and . _ ~ - between slashes, not {value!r}")
    return "/" + "".join(f"{part}/" for part in parts)


def normalize_site_url(value: str) -> str:
    """'' (links without an origin) or an http(s) origin such as https://user.github.io."""
    value = value.strip().rstrip("/")
    if not value:
        return ""
    parts = urlsplit(web_url(value))
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"site_url is an origin such as https://user.github.io, with no path (put the path in base_url), not {value!r}")
    return value


def load_config(path: Path) -> Settings:
    """Read and validate a config file; errors name the file and the offending key."""
    text = read_text(path)
    data = parse_yaml(text, path)
    if data is None:  # defaults would drop every automatic tag at the next ingest
        raise PapershelfError(path, "the config is empty: it needs at least the site's settings and tag rules", 1)
    if not isinstance(data, dict):
        raise PapershelfError(path, "the config must be a mapping of keys to values", 1)
    try:
        config = Config.model_validate(data)
    except ValidationError as error:
        raise invalid(path, text, error, Config) from None
    return Settings(config, path.parent.resolve(), path)

