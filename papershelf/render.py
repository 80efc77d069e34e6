"""Jinja2 rendering: the environment (autoescape on for every HTML and XML template), the
helpers templates use to make links, and the content-hashed static assets."""

from __future__ import annotations

import hashlib
import os
import traceback
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from papershelf.config import SiteSettings
from papershelf.errors import PapershelfError
from papershelf.markup import excerpt, linkify, render_markdown
from papershelf.pages import paper_path
from papershelf.parallel import PARALLEL_FROM, map_each


@dataclass(frozen=True)
class Assets:
    """Static files under content-hashed names, so browsers may cache them forever."""

    files: dict[str, bytes]  # output path ("assets/style.1a2b3c4d.css") -> bytes
    names: dict[str, str]  # logical name ("style.css") -> output path

    @classmethod
    def collect(cls, static_dir: Path, extra: dict[str, Path]) -> Assets:
        sources = {path.relative_to(static_dir).as_posix(): path for path in static_files(static_dir)}
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


def static_files(folder: Path) -> list[Path]:
    """The files under `folder`, in name order. A symbolic link is refused, not followed:
    whatever it points to would be published."""
    found = []
    for parent, folders, files in os.walk(folder):
        for name in folders + files:
            path = Path(parent) / name
            if path.is_symlink():
                raise PapershelfError(path, "refused: a symbolic link in the static folder (its target would be published)")
            if name in files:
                found.append(path)
    return sorted(found)


class MacroOnce:
    """A macro of `_macros.html` as a global that renders each distinct call once per build
    and process; `key` maps a call's arguments to what its output depends on. A paper's card
    is on an archive page, its tags' pages and its listings, and papers share a few thousand
    sets of tags: rendering each once is most of what list pages and paper pages cost."""

    def __init__(self, env: jinja2.Environment, macro: str, key: Callable[..., Hashable]):
        self.env = env
        self.macro = macro
        self.key = key
        self.made: dict[Hashable, Markup] = {}

    def _render(self, *args: Any, **kwargs: Any) -> Markup:
        try:
            return getattr(self.env.get_template("_macros.html").module, self.macro)(*args, **kwargs)
        except jinja2.TemplateError as error:
            raise template_error(self.env, error) from None

    def __call__(self, *args: Any, **kwargs: Any) -> Markup:
        key = self.key(*args, **kwargs)
        html = self.made.get(key)
        if html is None:
            html = self.made[key] = self._render(*args, **kwargs)
        return html

    def prepare(self, calls: list[tuple]) -> None:
        """Render these calls on every core, before the workers that render pages fork:
        each of them would otherwise render most of them itself."""
        done = map_each(lambda args: str(self._render(*args)), calls, PARALLEL_FROM["render cards"])
        for args, html in zip(calls, done):
            self.made[self.key(*args)] = Markup(html)


# Characters of the abstract a card shows: a sentence or two, enough to decide whether to
# open the paper, on every list a paper is on.
CARD_EXCERPT = 120


def make_environment(templates_dir: Path, site: SiteSettings, assets: Assets) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "xml"), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # one environment per build: no need to stat templates for every page
    )
    env.policies["json.dumps_kwargs"] = {"sort_keys": True, "separators": (",", ":")}  # JSON-LD on 100,000 pages

    def url(path: str = "") -> str:
        return site.base_url + path.lstrip("/")

    def absolute_url(path: str = "") -> str:
        return site.site_url + url(path)

    def asset(name: str) -> str:
        return url(assets.names[name])

    def paper_url(paper: Any) -> str:
        return url(paper_path(paper.slug))

    def paper_file(paper: Any) -> str:
        """A paper page's file name: the link to it from another paper's page."""
        return paper_path(paper.slug).rpartition("/")[2]

    env.globals.update(CARD_EXCERPT=CARD_EXCERPT, site=site, url=url, absolute_url=absolute_url, asset=asset, paper_url=paper_url, paper_file=paper_file, paper_path=paper_path)
    env.globals["card"] = MacroOnce(env, "paper_card", lambda paper, heading="h2", seen_before=False: (paper.id, heading, bool(seen_before)))
    env.globals["tag_links"] = MacroOnce(env, "tag_list", lambda tags, label="Tags": (tuple(tags), label))
    for shared in ("site_head", "site_footer"):  # the same on every page
        env.globals[shared] = MacroOnce(env, shared, lambda: ())
    env.globals["site_header"] = MacroOnce(env, "site_header", lambda section=None, current="page": (section, current))
    env.filters.update(linkify=linkify, markdown=render_markdown, excerpt=excerpt)
    return env


def render_page(env: jinja2.Environment, template: str, context: dict[str, Any]) -> bytes:
    try:
        return compact_head(env.get_template(template).render(**context)).encode("utf-8")
    except jinja2.TemplateError as error:
        raise template_error(env, error) from None


def compact_head(html: str) -> str:
    """An HTML page with the tags of its head on one line. The head holds only tags, whose
    line breaks mean nothing, and is on every page: a dozen bytes a page is a megabyte of
    a 100,000-paper site. The templates keep a tag per line, to be read."""
    start = html.find("<head>")
    end = html.find("</head>", start)
    if start == -1 or end == -1:
        return html
    end += 1  # the closing tag's "<": the break before it goes too
    return html[:start] + html[start:end].replace(">\n<", "><") + html[end:]


def template_error(env: jinja2.Environment, error: jinja2.TemplateError) -> PapershelfError:
    """A template's mistake as an error naming the template file and line: the line of a
    syntax error, or of the innermost template frame of the error's traceback (Jinja2
    gives template frames their template's file and line)."""
    folder = Path(env.loader.searchpath[0]) if isinstance(env.loader, jinja2.FileSystemLoader) else Path(".")
    if isinstance(error, jinja2.TemplateSyntaxError):
        return PapershelfError(folder / (error.name or "?"), f"template error: {error.message}", error.lineno)
    if isinstance(error, jinja2.TemplateNotFound):
        return PapershelfError(folder / str(error.name), "template error: no such template")
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if Path(frame.filename).parent == folder]
    where = frames[-1] if frames else None
    path = Path(where.filename) if where else folder
    return PapershelfError(path, f"template error: {error.message or type(error).__name__}", where.lineno if where else None)
