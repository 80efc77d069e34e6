"""Jinja2 rendering: the environment (autoescape on for every HTML and XML template), the
helpers templates use to make links, and the content-hashed static assets."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import jinja2
from markupsafe import Markup

from papershelf.config import SiteSettings
from papershelf.markup import linkify, render_markdown
from papershelf.pages import paper_path
from papershelf.parallel import map_slices

@dataclass(frozen=True)
class Assets:
    """Static files under content-hashed names, so browsers may cache them forever."""

    files: dict[str, bytes]  # output path ("assets/style.1a2b3c4d.css") -> bytes
    names: dict[str, str]  # logical name ("style.css") -> output path

    @classmethod
    def collect(cls, static_dir: Path, extra: dict[str, Path]) -> "Assets":
        sources = {p.relative_to(static_dir).as_posix(): p for p in sorted(static_dir.rglob("*")) if p.is_file()}
        sources.update(extra)
        files, names = {}, {}
        for name, path in sorted(sources.items()):
            data = path.read_bytes()
            stem, dot, suffix = name.rpartition(".")
            digest = hashlib.sha256(data).hexdigest()[:10]
            hashed = f"assets/{stem}.{digest}.{suffix}" if dot else f"assets/{name}.{digest}"
            files[hashed] = data
            names[name] = hashed
        return cls(files, names)


class Cards:
    """The `card` global: a paper's card (the `paper_card` macro of `_macros.html`),
    rendered once per build and process however many lists show it: a paper is on an
    archive page, its tags' pages and its listings, so lists of a large catalog repeat each
    card half a dozen times."""

    PARALLEL_FROM = 2000

    def __init__(self, env: jinja2.Environment):
        self.env = env
        self.made: dict[tuple[str, str, bool], Markup] = {}

    def _render(self, paper: Any, heading: str, new: bool) -> Markup:
        macros = self.env.get_template("_macros.html").module
        return macros.paper_card(paper, self.env.globals["tags_of"](paper), heading, new)

    def __call__(self, paper: Any, heading: str = "h2", new: bool = False) -> Markup:
        key = (paper.id, heading, bool(new))
        card = self.made.get(key)
        if card is None:
            card = self.made[key] = self._render(paper, heading, bool(new))
        return card

    def prepare(self, papers: list[Any], heading: str = "h2") -> None:
        """Render these papers' cards on every core, before the workers that render pages
        fork: each of them would otherwise render most cards itself."""

        def render(start: int, stop: int) -> list[str]:
            return [str(self._render(paper, heading, False)) for paper in papers[start:stop]]

        done = [html for _, part in map_slices(render, len(papers), self.PARALLEL_FROM) for html in part]
        for paper, html in zip(papers, done):
            self.made[(paper.id, heading, False)] = Markup(html)


def tag_links_once(env: jinja2.Environment) -> Callable[..., Markup]:
    """The `tag_links` global: the `tag_list` macro of `_macros.html` for a paper's tags,
    rendered once per build and process for each set of tags (papers share a few thousand
    sets; a macro call costs more than the rest of a paper's page)."""
    made: dict[tuple, Markup] = {}

    def tag_links(tags: list[Any], label: str = "Tags") -> Markup:
        key = (tuple(tags), label)
        html = made.get(key)
        if html is None:
            html = made[key] = env.get_template("_macros.html").module.tag_list(tags, label)
        return html

    return tag_links


def make_environment(templates_dir: Path, site: SiteSettings, assets: Assets, build_time: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "xml"), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # one environment per build: no need to stat templates for every page
    )

    def url(path: str = "") -> str:
        return site.base_url + path.lstrip("/")

    def absolute_url(path: str = "") -> str:
        return site.site_url + url(path)

    def asset(name: str) -> str:
        return url(assets.names[name])

    def paper_url(paper: Any) -> str:
        return url(paper_path(paper.slug))

    env.globals.update(site=site, url=url, absolute_url=absolute_url, asset=asset, paper_url=paper_url, paper_path=paper_path, build_time=build_time)
    env.globals["card"] = Cards(env)
    env.globals["tag_links"] = tag_links_once(env)
    env.filters.update(linkify=linkify, markdown=render_markdown, excerpt=excerpt)
    return env


def excerpt(text: str, length: int = 280) -> str:
    """The start of a text, cut on a word boundary."""
    if len(text) <= length:
        return text
    cut = text[:length].rsplit(" ", 1)[0].rstrip(",;:.")
    return f"{cut}…"


def render_page(env: jinja2.Environment, template: str, context: dict[str, Any]) -> bytes:
    return env.get_template(template).render(**context).encode("utf-8")
