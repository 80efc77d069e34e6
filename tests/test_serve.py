"""The preview server as `build.py serve` runs it: rebuilds on changes whatever goes wrong
in one of them, serves only what is inside the site, and fails with one clear line."""

from __future__ import annotations

import http.client
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

# `build.py serve`, saying so whenever it forks while it runs a thread (which could leave the
# child with a lock held by a thread that no longer exists).
SERVE_WATCHING_FORKS = """
import os, sys, threading
def check():
    if threading.active_count() > 1:
        print(f"forked with {threading.active_count()} threads", file=sys.stderr, flush=True)
os.register_at_fork(before=check)
from papershelf.cli import main
sys.exit(main(sys.argv[1:]))
"""


class Serving:
    """`build.py serve` in its own process, every pool of workers forced (so that its
    rebuilds fork), its output read line by line."""

    def __init__(self, catalog: Path, port: int = 0):
        command = [sys.executable, "-c", SERVE_WATCHING_FORKS, "--config", str(catalog / "config.yaml"), "--base-url", "/papershelf/", "serve", "--port", str(port)]
        env = os.environ | {"PAPERSHELF_PARALLEL": "always"}
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env, start_new_session=True)
        self.seen: list[str] = []
        self.lines: queue.Queue[tuple[str, str]] = queue.Queue()
        for name, stream in (("out", self.process.stdout), ("err", self.process.stderr)):
            threading.Thread(target=self._read, args=(name, stream), daemon=True).start()

    def _read(self, name: str, stream) -> None:
        for line in stream:
            self.lines.put((name, line.rstrip("\n")))
        self.lines.put((name, ""))

    def wait_for(self, text: str, seconds: float = 60) -> tuple[str, str]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                stream, line = self.lines.get(timeout=0.5)
            except queue.Empty:
                continue
            self.seen.append(line)
            assert "Traceback" not in line and "forked with" not in line, line
            if text in line:
                return stream, line
        raise AssertionError(f"no line with {text!r} within {seconds} s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)
        time.sleep(0.5)  # the readers' last lines
        while not self.lines.empty():
            self.seen.append(self.lines.get()[1])
        assert not [line for line in self.seen if "forked with" in line or "Traceback" in line], self.seen


@pytest.fixture
def serving(catalog: Path) -> Iterator[tuple[Serving, str]]:
    server = Serving(catalog)
    _, line = server.wait_for("serving http://127.0.0.1:")
    origin = line.split()[1].rstrip(",").removesuffix("/papershelf/")
    yield server, origin
    server.stop()
    host, port = origin.removeprefix("http://").split(":")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the server process ends with the command's
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
        except ConnectionRefusedError:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("the preview's server outlived it")


def fetch(url: str) -> str:
    with urllib.request.urlopen(url) as response:
        return response.read().decode()


def wait_until_page_has(url: str, text: str, seconds: float = 30, unless: str | None = None) -> str:
    """The page once it holds `text` (and, given `unless`, is no longer that): the count of
    builds goes up just after the new site is in place, so a page may change first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        page = fetch(url)
        if text in page and page != unless:
            return page
        time.sleep(0.2)
    raise AssertionError(f"{url} never showed {text!r}")


def test_serve_rebuilds_after_a_change_and_after_a_broken_template(catalog: Path, serving: tuple[Serving, str]) -> None:
    server, origin = serving
    about = origin + "/papershelf/about/"
    page = fetch(about)
    assert "<h1>About</h1>" in page and "/__papershelf__/version" in page  # reload script added
    version = fetch(origin + "/__papershelf__/version")
    (catalog / "content" / "pages" / "about.md").write_text("# About this shelf\n\nRebuilt live.\n")
    wait_until_page_has(about, "Rebuilt live.")
    wait_until_page_has(origin + "/__papershelf__/version", "", seconds=10, unless=version)  # open pages reload
    assert "/__papershelf__/" not in (catalog / "site" / "about" / "index.html").read_text()

    page_template = catalog / "templates" / "page.html"
    good = page_template.read_text()
    page_template.write_text(good.replace("{% block content %}", "{% block content %}{% if %}"))
    stream, line = server.wait_for("template error")
    broken_line = good.splitlines().index("{% block content %}") + 1
    assert stream == "err" and line.startswith(f"error: {page_template}:{broken_line}: template error: "), line
    assert "Rebuilt live." in fetch(about)  # the last good site is still served
    page_template.write_text(good.replace("<h1>{{ title }}</h1>", "<h1 class=fixed>{{ title }}</h1>"))
    wait_until_page_has(about, "<h1 class=fixed>")  # the watcher kept going

    (catalog / "templates" / "page.html").write_text(good.replace("{{ title }}", "{{ title.no_such_thing() }}"))
    stream, line = server.wait_for("template error")
    assert line.startswith(f"error: {page_template}:") and "no_such_thing" in line, line


def test_ctrl_c_stops_the_preview_and_its_server_without_a_traceback(catalog: Path) -> None:
    server = Serving(catalog)
    _, line = server.wait_for("serving http://127.0.0.1:")
    os.killpg(server.process.pid, signal.SIGINT)  # as a terminal sends it: to the whole group
    assert server.process.wait(timeout=20) == 0
    server.stop()  # reads what is left: no traceback
    port = int(line.split()[1].split(":")[2].split("/")[0])
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_a_port_in_use_is_one_line_with_a_hint(catalog: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, str(ROOT / "build.py"), "--config", str(catalog / "config.yaml"), "serve", "--port", str(port)],
            capture_output=True, text=True, cwd=ROOT, timeout=60,
        )
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: --port: port {port} is in use on 127.0.0.1: choose another with --port N"


@pytest.fixture
def server(built_site: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    from papershelf import serve

    site = tmp_path / "site"
    site.mkdir()
    for name in ("index.html", "404.html"):
        (site / name).write_bytes((built_site / "site" / name).read_bytes())
    (site / "papers").mkdir()
    (site / "papers" / "a.html").write_text("<p>a paper</p>")
    monkeypatch.setattr(serve, "IDLE_SECONDS", 1)
    monkeypatch.setattr(serve.SiteHandler, "timeout", 1)
    monkeypatch.setattr(serve, "MAX_CONNECTIONS", 8)
    httpd = serve.make_server(site, "/papershelf/", port=0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", site
    httpd.shutdown()
    httpd.server_close()


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_only_what_is_inside_the_site_is_served(server: tuple[str, Path], tmp_path: Path) -> None:
    origin, site = server
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    (site / "escape").symlink_to(outside, target_is_directory=True)
    (site / "secret.txt").symlink_to(outside / "secret.txt")
    assert status(origin + "/papershelf/papers/a.html") == 200
    assert status(origin + "/papershelf/escape/secret.txt") == 404
    assert status(origin + "/papershelf/escape/") == 404
    assert status(origin + "/papershelf/secret.txt") == 404
    assert status(origin + "/papershelf/papers/") == 404  # no listing of a folder without index.html
    assert status(origin + "/papershelf/../../etc/passwd") == 404
    host, port = origin.removeprefix("http://").split(":")
    for path in ("/papershelf/%00", "/%00"):
        connection = http.client.HTTPConnection(host, int(port), timeout=5)
        connection.request("GET", path)
        assert connection.getresponse().status == 400, path
        connection.close()


def test_idle_connections_time_out_and_threads_stay_bounded(server: tuple[str, Path]) -> None:
    origin, _ = server
    host, port = origin.removeprefix("http://").split(":")
    threads_before = threading.active_count()
    idle = [socket.create_connection((host, int(port))) for _ in range(60)]  # half-open: never a request
    time.sleep(0.5)
    assert threading.active_count() <= threads_before + 8
    started = time.monotonic()
    assert status(origin + "/papershelf/papers/a.html") == 200  # served once idle ones time out
    assert time.monotonic() - started < 30
    for connection in idle:
        connection.close()
