"""Local preview: serve the built site on loopback under its base path, as a static host
would; watch the inputs, rebuild when they change, and reload the open pages.

Two processes: the HTTP server, with its threads, runs in a child forked before any thread
exists; the command's own process stays single-threaded, watches and rebuilds, so that the
build may fork its workers safely. They share one number, the count of builds, which the
pages served ask for to know when to reload.

Only files inside the site are served: no symbolic link out of it, no directory listings,
no NUL bytes in paths; idle connections time out and connections are served by a bounded
number of threads, so a flood of half-open connections cannot exhaust the machine.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import multiprocessing
import os
import signal
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from papershelf.errors import PapershelfError

VERSION_PATH = "/__papershelf__/version"
POLL_SECONDS = 0.5
IDLE_SECONDS = 10  # a connection that sends nothing for this long is closed
MAX_CONNECTIONS = 32  # served at once; more wait to be accepted
# Added to HTML pages as they are served (never to the built files): reload on a new build.
RELOAD_SCRIPT = (
    "<script>(function(){var v=null;setInterval(function(){fetch('" + VERSION_PATH + "',{cache:'no-store'})"
    ".then(function(r){return r.text()}).then(function(t){if(v!==null&&t!==v)location.reload();v=t})"
    ".catch(function(){})},1000)})()</script>"
).encode("utf-8")


class SiteHandler(SimpleHTTPRequestHandler):
    """Serves `directory` under `base_url`, with the site's own 404 page."""

    base_url = "/"
    builds: ctypes.c_longlong | None = None  # the count of builds (shared memory), when pages reload on a new one
    timeout = IDLE_SECONDS

    def translate_path(self, path: str) -> str:
        """The file a request names, or a name that does not exist when it would be outside
        the site (a symbolic link out of it included)."""
        clean = path.split("?", 1)[0].split("#", 1)[0]
        missing = str(Path(self.directory) / "__not_in_site__")
        if not clean.startswith(self.base_url):
            return missing
        target = super().translate_path("/" + clean[len(self.base_url) :])
        root = os.path.realpath(self.directory)
        real = os.path.realpath(target)
        return target if real == root or real.startswith(root + os.sep) else missing

    def _path_is_bad(self) -> bool:
        if "\x00" in urllib.parse.unquote(self.path):
            self.send_error(400, "bad request")
            return True
        return False

    def do_HEAD(self) -> None:
        if not self._path_is_bad():
            super().do_HEAD()

    def do_GET(self) -> None:
        if self._path_is_bad():
            return
        if self.path == "/" and self.base_url != "/":
            self.send_response(302)
            self.send_header("Location", self.base_url)
            self.end_headers()
            return
        if self.builds is not None and self.path.split("?")[0] == VERSION_PATH:
            self._send(200, "text/plain", str(self.builds.value).encode())
            return
        if self.builds is not None and self.path.split("?")[0].endswith(("/", ".html")):
            target = Path(self.translate_path(self.path))
            if target.is_dir():
                target = target / "index.html"
            if target.is_file():
                self._send(200, "text/html; charset=utf-8", target.read_bytes().replace(b"</body>", RELOAD_SCRIPT + b"</body>"))
                return
        super().do_GET()

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        """No listings: a static host shows a folder only through its index.html."""
        self.send_error(404, "not found")
        return None

    def _send(self, code: int, content_type: str, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code == 404 and page.is_file() and not page.is_symlink():
            self._send(404, "text/html; charset=utf-8", page.read_bytes())
            return
        super().send_error(code, message, explain)

    def log_message(self, format: str, *args: object) -> None:
        pass


class BoundedServer(ThreadingHTTPServer):
    """A thread per connection, at most `MAX_CONNECTIONS` at once: the next connection is
    accepted when one ends (idle ones end after `IDLE_SECONDS`)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.slots.acquire()
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()


def make_server(site_dir: Path, base_url: str, host: str = "127.0.0.1", port: int = 8000, builds: ctypes.c_longlong | None = None) -> BoundedServer:
    """The server, bound and listening (no thread started yet). A port in use is a
    one-line error."""
    handler = type("BoundSiteHandler", (SiteHandler,), {"base_url": base_url, "builds": builds})
    try:
        return BoundedServer((host, port), functools.partial(handler, directory=str(site_dir)))
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise PapershelfError("--port", f"port {port} is in use on {host}: choose another with --port N") from None
        raise PapershelfError("--port", f"cannot listen on {host}:{port}: {error.strerror}") from None


def snapshot(paths: list[Path]) -> dict[str, tuple[int, int]]:
    """Size and modification time of every file under the watched paths."""
    seen: dict[str, tuple[int, int]] = {}
    for root in paths:
        files = [root] if root.is_file() else sorted(root.rglob("*")) if root.is_dir() else []
        for path in files:
            if path.is_file() and not path.name.startswith("."):
                stat = path.stat()
                seen[str(path)] = (stat.st_size, stat.st_mtime_ns)
    return seen


@dataclass
class Preview:
    """The server process and the count of builds it reports."""

    process: multiprocessing.process.BaseProcess
    port: int
    builds: ctypes.c_longlong

    def close(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()


def _serve_while_parent_lives(server: BoundedServer, parent: int) -> None:
    """The server child's life: serve until the command's process is gone, however it
    ended (a kill -9 included), so that no server outlives its preview. Ctrl-C reaches the
    whole process group: the command's process hears it and stops this one."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    while os.getppid() == parent:
        time.sleep(POLL_SECONDS)
    os._exit(0)


def start_server(site_dir: Path, base_url: str, port: int = 8000) -> Preview:
    """Bind here (so a port in use is this process's error), then serve in a forked child."""
    context = multiprocessing.get_context("fork")
    builds = context.Value("q", 0, lock=False)
    server = make_server(site_dir, base_url, port=port, builds=builds)
    process = context.Process(target=_serve_while_parent_lives, args=(server, os.getpid()), daemon=True)
    process.start()
    server.server_close()  # the child serves on its copy of the socket
    return Preview(process, server.server_address[1], builds)


def watch(paths: list[Path], rebuild: Callable[[], None], preview: Preview, before: dict[str, tuple[int, int]]) -> None:
    """Poll the inputs in this thread; after a change since `before` (their snapshot, taken
    before the preview was announced, so that no edit saved after it is missed) and a
    moment of quiet, rebuild and count a build, whatever the rebuild did (it reports its
    own errors). The inputs are read before each rebuild, so an edit saved while it runs
    starts another (as does what the rebuild itself writes to content/: that one finds
    nothing new). Returns when the server process has stopped."""
    while preview.process.is_alive():
        preview.process.join(POLL_SECONDS)
        if snapshot(paths) == before:
            continue
        preview.process.join(POLL_SECONDS)  # let an editor finish writing
        before = snapshot(paths)
        rebuild()
        preview.builds.value += 1
