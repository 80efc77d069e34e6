"""Local preview: serve the built site on loopback under its base path, as a static host would."""

from __future__ import annotations

import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class SiteHandler(SimpleHTTPRequestHandler):
    """Serves `directory` under `base_url`, with the site's own 404 page."""

    base_url = "/"

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
        super().do_GET()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code == 404 and page.exists():
            body = page.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().send_error(code, message, explain)

    def log_message(self, format: str, *args: object) -> None:
        pass


def make_server(site_dir: Path, base_url: str, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    handler = type("BoundSiteHandler", (SiteHandler,), {"base_url": base_url})
    return ThreadingHTTPServer((host, port), functools.partial(handler, directory=str(site_dir)))
