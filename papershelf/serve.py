"""Local preview: serve the built site on loopback under its base path, as a static host
would; watch the inputs, rebuild when they change, and reload the open pages."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

VERSION_PATH = "/__papershelf__/version"
POLL_SECONDS = 0.5
# Added to HTML pages as they are served (never to the built files): reload on a new build.
RELOAD_SCRIPT = (
    "<script>(function(){var v=null;setInterval(function(){fetch('" + VERSION_PATH + "',{cache:'no-store'})"
    ".then(function(r){return r.text()}).then(function(t){if(v!==null&&t!==v)location.reload();v=t})"
    ".catch(function(){})},1000)})()</script>"
).encode("utf-8")


class SiteHandler(SimpleHTTPRequestHandler):
    """Serves `directory` under `base_url`, with the site's own 404 page."""

    base_url = "/"
    live: "LiveReload | None" = None

    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0].split("#", 1)[0]
        if not clean.startswith(self.base_url):
            return str(Path(self.directory) / "__outside_base__")
        return super().translate_path("/" + clean[len(self.base_url) :])

    def do_GET(self) -> None:
        if self.path == "/" and self.base_url != "/":
            self.send_response(302)
            self.send_header("Location", self.base_url)
            self.end_headers()
            return
        if self.live is not None and self.path.split("?")[0] == VERSION_PATH:
            self._send(200, "text/plain", str(self.live.version).encode())
            return
        if self.live is not None and self.path.split("?")[0].endswith(("/", ".html")):
            target = Path(self.translate_path(self.path))
            if target.is_dir():
                target = target / "index.html"
            if target.is_file():
                self._send(200, "text/html; charset=utf-8", target.read_bytes().replace(b"</body>", RELOAD_SCRIPT + b"</body>"))
                return
        super().do_GET()

    def _send(self, code: int, content_type: str, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code == 404 and page.exists():
            self._send(404, "text/html; charset=utf-8", page.read_bytes())
            return
        super().send_error(code, message, explain)

    def log_message(self, format: str, *args: object) -> None:
        pass


class LiveReload:
    """Counts builds; pages served with the reload script reload when the count changes."""

    def __init__(self) -> None:
        self.version = 0


def make_server(
    site_dir: Path, base_url: str, host: str = "127.0.0.1", port: int = 8000, live: LiveReload | None = None
) -> ThreadingHTTPServer:
    handler = type("BoundSiteHandler", (SiteHandler,), {"base_url": base_url, "live": live})
    return ThreadingHTTPServer((host, port), functools.partial(handler, directory=str(site_dir)))


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


def watch(
    paths: list[Path], before: dict, on_change: Callable[[], None], stop: threading.Event, live: LiveReload
) -> None:
    """Poll the inputs; after a change (and a moment of quiet), rebuild and bump the version."""
    while not stop.wait(POLL_SECONDS):
        if snapshot(paths) == before:
            continue
        stop.wait(POLL_SECONDS)  # let an editor finish writing
        on_change()
        before = snapshot(paths)  # after the rebuild, which may itself write content/
        live.version += 1


@dataclass
class Preview:
    server: ThreadingHTTPServer
    stop: threading.Event
    live: LiveReload

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


def start_preview(
    site_dir: Path, base_url: str, watched: list[Path], rebuild: Callable[[], None], port: int = 8000
) -> Preview:
    """Serve and watch in background threads; `close()` stops both."""
    live = LiveReload()
    preview = Preview(make_server(site_dir, base_url, port=port, live=live), threading.Event(), live)
    threading.Thread(target=preview.server.serve_forever, daemon=True).start()
    initial = snapshot(watched)  # taken now, so no change made after this call is missed
    threading.Thread(target=watch, args=(watched, initial, rebuild, preview.stop, live), daemon=True).start()
    return preview
