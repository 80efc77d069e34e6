"""An incremental build equals a clean one, by construction: page contexts are plain data
covered whole by their fingerprints, the versions of what shapes the output are part of the
cache key, and random sequences of edits each end in the bytes a clean build gives."""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from papershelf.catalog import Tag
from papershelf.fingerprint import Fingerprinter
from tests.conftest import SAMPLE_DUMPS, catalog_copy, run, snapshot

HELD_BACK = SAMPLE_DUMPS[-1]  # lists papers the others listed before


@pytest.fixture(scope="module")
def two_dumps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = catalog_copy(tmp_path_factory.mktemp("two-dumps"))
    (folder / "dumps" / HELD_BACK.name).unlink()
    for dump in sorted((folder / "dumps").glob("*.txt"))[2:]:
        dump.unlink()
    assert run(folder) == 0
    return folder


def copy_of(folder: Path, target: Path, with_site: bool = True) -> Path:
    ignored = shutil.ignore_patterns("site", ".site-*", ".cache") if not with_site else None
    shutil.copytree(folder, target, symlinks=True, ignore=ignored)
    return target


def clean_build(catalog: Path, tmp_path: Path) -> dict[str, bytes]:
    other = copy_of(catalog, tmp_path / "clean", with_site=False)
    assert run(other, "--clean") == 0
    site = snapshot(other / "site")
    shutil.rmtree(other)
    return site


def papers(catalog: Path) -> list[Path]:
    return sorted((catalog / "content" / "papers").glob("*.yaml"))


def edit_paper(catalog: Path, rng: random.Random, change: Callable[[dict], None]) -> None:
    path = rng.choice(papers(catalog))
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def retitle(catalog: Path, rng: random.Random) -> None:
    edit_paper(catalog, rng, lambda data: data.update(title=data["title"] + " (revised)"))


def hand_tag(catalog: Path, rng: random.Random) -> None:
    def change(data: dict) -> None:
        if data["tags"] and rng.random() < 0.5:
            data["tags"] = data["tags"][1:]
        else:
            data["tags"] = data["tags"] + [rng.choice(["Reading Group", "Must Read", "Quantization"])]

    edit_paper(catalog, rng, change)


def hide(catalog: Path, rng: random.Random) -> None:
    edit_paper(catalog, rng, lambda data: data.update(hidden=not data.get("hidden", False)))


def note(catalog: Path, rng: random.Random) -> None:
    edit_paper(catalog, rng, lambda data: data.update(notes=f"Read with *care*, {rng.randint(1, 99)} times."))


def new_dump(catalog: Path, rng: random.Random) -> None:
    """The held-back sample dump (papers seen before among new ones), or a small dump of a
    paper seen before and a new one."""
    dumps = catalog / "dumps"
    if not (dumps / HELD_BACK.name).exists():
        shutil.copy(HELD_BACK, dumps / HELD_BACK.name)
        return
    seen = yaml.safe_load(rng.choice(papers(catalog)).read_text(encoding="utf-8"))
    number = len(list(dumps.glob("*.txt"))) + 10
    text = f"{seen['title']}\n\n{seen['abstract'] or 'An abstract. Of two sentences.'}\n\nA Fresh Paper Number {number}\n\nWe study things. We find more things.\n"
    (dumps / f"{number:03d}_more.txt").write_text(text, encoding="utf-8")


def edit_template(catalog: Path, rng: random.Random) -> None:
    name, old, new = rng.choice(
        [
            ("_macros.html", '<span class="badge badge-code">code</span>', '<span class="badge badge-code">has code</span>'),
            ("tags.html", "<h1>Tags</h1>", "<h1>All tags</h1>"),
            ("paper.html", "Related papers", "Papers like this"),
        ]
    )
    path = catalog / "templates" / name
    path.write_text(path.read_text().replace(old, new) + "{# edited #}\n")


def edit_static(catalog: Path, rng: random.Random) -> None:
    with (catalog / "static" / "style.css").open("a") as css:
        css.write(f"\n.edited-{rng.randint(1, 999)} {{ color: red; }}\n")


def edit_config(catalog: Path, rng: random.Random) -> None:
    path = catalog / "config.yaml"
    text = path.read_text()
    old, new = rng.choice([("papers_per_page: 50", "papers_per_page: 7"), ("related_count: 5", "related_count: 3"), ("title: Papershelf", "title: Our Shelf")])
    path.write_text(text.replace(old, new) if old in text else text.replace(new, old))


EDITS = [retitle, hand_tag, hide, note, new_dump, edit_template, edit_static, edit_config]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_edits_each_build_what_a_clean_build_gives(two_dumps: Path, tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    catalog = copy_of(two_dumps, tmp_path / "catalog")
    for number in range(5):
        edits = rng.sample(EDITS, rng.choice([1, 1, 2]))
        for edit in edits:
            edit(catalog, rng)
        assert run(catalog) == 0, edits
        assert snapshot(catalog / "site") == clean_build(catalog, tmp_path), f"step {number}: {[e.__name__ for e in edits]}"


def test_a_template_cannot_read_what_the_fingerprint_does_not_cover(two_dumps: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The tags page once read `tag.papers[0].title` and kept the old title after an edit:
    a tag in a page's context is its name, slug and count, nothing to reach a paper by."""
    catalog = copy_of(two_dumps, tmp_path / "catalog")
    template = catalog / "templates" / "tags.html"
    template.write_text(template.read_text().replace("<h1>Tags</h1>", "<h1>Tags</h1>{{ by_count[0].papers[0].title }}"))
    capsys.readouterr()
    assert run(catalog, "build") == 2
    line = template.read_text().splitlines().index("<h1>Tags</h1>{{ by_count[0].papers[0].title }}") + 1
    assert capsys.readouterr().err.startswith(f"error: {template}:{line}: template error: ")
    with pytest.raises(TypeError, match="plain data"):
        Fingerprinter(lambda paper: "").of({"tag": Tag("Quantization", "quantization")})


def test_a_new_version_of_a_package_that_shapes_the_output_rebuilds(
    two_dumps: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from papershelf import cache

    catalog = copy_of(two_dumps, tmp_path / "catalog")
    assert run(catalog) == 0
    assert "nothing new" in capsys.readouterr().out
    real = cache.importlib.metadata.version
    monkeypatch.setattr(cache.importlib.metadata, "version", lambda name: "99.0" if name == "Jinja2" else real(name))
    cache.code_digests.cache_clear()
    cache.code_version.cache_clear()
    try:
        assert run(catalog) == 0
        out = capsys.readouterr().out
        assert "nothing new" not in out
        pages = int(out.split(" pages, ")[0].rsplit(" ", 1)[1])
        rendered = int(out.split(" rendered")[0].rsplit("(", 1)[1])
        assert rendered >= pages  # every page made again (content-named files keep their names)
    finally:
        cache.code_digests.cache_clear()
        cache.code_version.cache_clear()
