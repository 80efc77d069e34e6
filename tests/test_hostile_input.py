"""Hostile or careless input: refused with one line naming the file, key and line, and
nothing written; never a page lost, never an href that is not http(s)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import catalog_copy, run, snapshot

Q_VLM = "q-vlm-post-training-quantization-for-large-vision"


@pytest.fixture(scope="module")
def ingested_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = catalog_copy(tmp_path_factory.mktemp("ingested"))
    assert run(folder) == 0
    return folder


@pytest.fixture
def built(ingested_once: Path, tmp_path: Path) -> Path:
    """The sample catalog ingested and built (cache included), for this test alone."""
    folder = tmp_path / "catalog"
    shutil.copytree(ingested_once, folder, symlinks=True)
    return folder


def paper_file(catalog: Path, slug: str = Q_VLM) -> Path:
    return catalog / "content" / "papers" / f"{slug}.yaml"


def state(catalog: Path) -> dict[str, bytes]:
    """The site and the content store, to show that a refused run changed neither."""
    return {f"site/{k}": v for k, v in snapshot(catalog / "site").items()} | {
        f"content/{k}": v for k, v in snapshot(catalog / "content").items()
    }


def error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0], err
    return err[0]


@pytest.mark.parametrize("url", ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>", "vbscript:msgbox(1)", "//evil.example/x", "https://"])
def test_a_link_that_is_not_http_is_refused_with_file_key_and_line(built: Path, url: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = paper_file(built)
    text = path.read_text()
    assert "links:\n- url: https://github.com/ChangyuanWang17/QVLM\n" in text
    path.write_text(text.replace("- url: https://github.com/ChangyuanWang17/QVLM", f"- url: {yaml.safe_dump(url).splitlines()[0]}"))
    line = text.splitlines().index("- url: https://github.com/ChangyuanWang17/QVLM") + 1
    before = state(built)
    capsys.readouterr()
    assert run(built) == 2
    message = error_line(capsys)
    assert message.startswith(f"error: {path}:{line}: `links` entry 1, `url`:"), message
    assert state(built) == before


def test_site_url_and_base_url_must_be_an_origin_and_a_path(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = built / "config.yaml"
    text = config.read_text()
    assert "\n  site_url: " in text
    before = state(built)
    for bad in ("javascript:alert(1)", "https://example.org/path", "ftp://example.org"):
        config.write_text(text.replace("\n  site_url: ", f"\n  site_url: '{bad}'\n  _was: ", 1).replace("\n  _was: ", "\n  # ", 1))
        capsys.readouterr()
        assert run(built, "build") == 2
        message = error_line(capsys)
        line = config.read_text().splitlines().index(f"  site_url: '{bad}'") + 1
        assert message.startswith(f"error: {config}:{line}: `site.site_url`:"), message
    config.write_text(text)
    for option, bad in (("--site-url", "javascript:alert(1)"), ("--base-url", '/x"><script>/'), ("--base-url", "/a/../b/")):
        capsys.readouterr()
        assert run(built, option, bad, "build") == 2
        assert error_line(capsys).startswith(f"error: {option}: "), bad
    assert state(built) == before


def test_an_empty_config_is_an_error_not_a_set_of_defaults(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (built / "config.yaml").write_text("# nothing here yet\n")
    before = state(built)
    assert run(built) == 2
    assert "config.yaml:1: the config is empty" in error_line(capsys)
    assert state(built) == before


def test_hidden_must_be_true_or_false(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = paper_file(built)
    text = path.read_text()
    path.write_text(text + 'hidden: "yes"\n')
    capsys.readouterr()
    assert run(built, "build") == 2
    line = len(text.splitlines()) + 1
    assert error_line(capsys) == f"error: {path}:{line}: `hidden`: should be true or false, not 'yes'"


def test_a_symlinked_dump_is_refused_and_the_others_go_in(catalog: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("Secret Title Of The Machine\n\nA secret abstract. With two sentences.\n")
    (catalog / "dumps" / "005_link.txt").symlink_to(secret)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (catalog / "dumps" / "006_dir").symlink_to(outside, target_is_directory=True)
    (outside / "x.txt").write_text(secret.read_text())
    assert run(catalog, "ingest") == 1
    captured = capsys.readouterr()
    assert f"error: {catalog / 'dumps' / '005_link.txt'}: refused: a dump must be a file in the dumps folder, not a symbolic link" in captured.err
    assert "3 dumps read" in captured.out
    ledger = (catalog / "content" / "dumps.yaml").read_text()
    assert "005_link" not in ledger and "Secret" not in "".join(p.read_text() for p in (catalog / "content" / "papers").glob("*.yaml"))
    assert len(list((catalog / "content" / "papers").glob("*.yaml"))) == 371
    # Named on the command line, a dump outside the dumps folder is refused too.
    assert run(catalog, "ingest", str(secret)) == 1
    assert "refused: a dump must be a file in the dumps folder" in capsys.readouterr().err
    assert "secret" not in (catalog / "content" / "dumps.yaml").read_text()


def test_a_copied_or_renamed_paper_file_is_refused_whatever_the_cache_knows(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = paper_file(built)
    copy = original.with_name("a-copy.yaml")
    shutil.copy2(original, copy)  # same text, same size and time: the caches know its digest
    before = state(built)
    capsys.readouterr()
    assert run(built, "build") == 2
    line = original.read_text().splitlines().index(f"slug: {Q_VLM}") + 1
    assert error_line(capsys) == f"error: {copy}:{line}: `slug`: '{Q_VLM}' does not match the file name a-copy.yaml"
    assert state(built) == before

    # Renamed so that the slug matches but the id is another paper's: both files named.
    data = yaml.safe_load(original.read_text())
    data["slug"] = "a-copy"
    copy.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    assert run(built, "build") == 2
    message = error_line(capsys)
    assert f"`id`: {data['id']} is also the id of" in message  # in name order: the copy first
    assert message.startswith(f"error: {original}:1: ") and message.endswith(f"{copy}: one paper, two files")


def test_two_dump_names_with_one_listing_url_keep_both_pages(built: Path) -> None:
    dumps = built / "dumps"
    (dumps / "030 my dump.txt").write_text("First Paper Of The Space Dump\n\nAn abstract about one thing. It has two sentences.\n")
    (dumps / "030_my_dump.txt").write_text("First Paper Of The Underscore Dump\n\nAn abstract about another thing. It has two sentences.\n")
    assert run(built) == 0
    listings = sorted(p.parent.name for p in (built / "site" / "listings").glob("030*/index.html"))
    assert len(listings) == 2 and "030-my-dump" in listings, listings
    pages = {name: (built / "site" / "listings" / name / "index.html").read_text() for name in listings}
    assert sum("Space Dump" in page for page in pages.values()) == 1
    assert sum("Underscore Dump" in page for page in pages.values()) == 1
    index = (built / "site" / "listings" / "index.html").read_text()
    assert all(f"listings/{name}/" in index for name in listings)


def test_validation_errors_name_the_line(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = paper_file(built)
    text = path.read_text()
    path.write_text(text.replace("  position: 1\n", "  position: first\n"))
    line = text.splitlines().index("  position: 1") + 1
    capsys.readouterr()
    assert run(built, "build") == 2
    assert error_line(capsys).startswith(f"error: {path}:{line}: `sources` entry 1, `position`:")
    path.write_text(text + "colour: red\n")
    assert run(built, "build") == 2
    assert error_line(capsys).startswith(f"error: {path}:{len(text.splitlines()) + 1}: unknown key `colour` (known keys: id, slug, title,")
    config = built / "config.yaml"
    config.write_text(config.read_text().replace("papers_per_page: 50", "papers_per_page: lots"))
    assert run(built, "build") == 2
    line = config.read_text().splitlines().index("  papers_per_page: lots") + 1
    assert error_line(capsys).startswith(f"error: {config}:{line}: `site.papers_per_page`:")


def test_symlinked_pages_and_static_files_are_refused(built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = tmp_path / "os-release"
    secret.write_text("# Secret\n\nNAME=machine\n")
    before = state(built)
    for link in (built / "content" / "pages" / "release.md", built / "static" / "release.css"):
        link.symlink_to(secret)
        capsys.readouterr()
        assert run(built, "build") == 2
        assert error_line(capsys).startswith(f"error: {link}: refused: "), link
        link.unlink()
        assert state(built) == before


def test_two_sources_of_one_page_are_refused(built: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (built / "content" / "pages" / "About.md").write_text("# About too\n")
    capsys.readouterr()
    assert run(built, "build") == 2
    assert "the file name gives the URL /about/, as About.md does" in error_line(capsys)
    (built / "content" / "pages" / "About.md").unlink()
    config = built / "config.yaml"
    text = config.read_text()
    config.write_text(text.replace("\ntags:\n", "\ntags:\n  - name: Quantization\n    match: [quantized]\n", 1))
    assert run(built, "build") == 2
    assert "`tags`: the tags 'Quantization' and 'Quantization' would have one page" in error_line(capsys)


def test_an_edit_that_keeps_the_size_and_modification_time_is_seen(built: Path) -> None:
    """The digest cache trusts a file whose status is unchanged: its ctime and inode, which
    no edit can set back, are part of that status (a tool that restores modification times,
    `touch -r` or `cp -p`, would otherwise hide an edit from every later build)."""
    assert run(built, "--clean", "build") == 0  # the cache now knows this folder's files
    path = paper_file(built)
    text = path.read_text()
    status = path.stat()
    edited = text.replace("title: 'Q-VLM:", "title: 'Q-VLN:", 1)
    assert edited != text and len(edited) == len(text)
    path.write_text(edited)
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert run(built) == 0
    assert "Q-VLN:" in (built / "site" / "papers" / f"{Q_VLM}.html").read_text()


def test_an_unexpected_error_is_one_line_and_its_traceback_needs_debug(
    built: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from papershelf import cli

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something\nunforeseen")

    monkeypatch.setattr(cli, "build", broken)
    capsys.readouterr()
    assert run(built, "build") == 1
    assert error_line(capsys) == "error: internal error: RuntimeError: something unforeseen (run with --debug for the traceback)"
    with pytest.raises(RuntimeError, match="unforeseen"):
        run(built, "--debug", "build")
    assert run(built, "build") == 1  # the lock was let go


def test_two_files_planned_at_one_path_are_refused_not_lost(built: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from papershelf import catalog

    monkeypatch.setattr(catalog, "unique_listing_slug", lambda name, taken: "one-slug")  # as a clash would
    before = state(built)
    capsys.readouterr()
    assert run(built, "--clean", "build") == 2
    assert error_line(capsys) == "error: listings/one-slug/index.html: two files of the site would be written here: one of them would be lost"
    assert state(built) == before


def test_markdown_links_keep_an_href_only_when_http_or_relative() -> None:
    from papershelf.markup import render_markdown

    html = str(render_markdown("[a](/about/) [b](mailto:x@y.z) [c](JaVaScRiPt:alert(1)) [d](data:text/html,x) [e](https://x.org/p)"))
    hrefs = [part.split('"')[1] for part in html.split("href=")[1:]]
    assert hrefs == ["/about/", "https://x.org/p"], html
