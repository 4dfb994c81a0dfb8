"""A local HTTP server on 127.0.0.1 for the download tests (nothing leaves the machine), and
small helpers for them."""
from __future__ import annotations

import collections
import dataclasses
import hashlib
import http.server


@dataclasses.dataclass
class Route:
    body: bytes
    status: int = 200
    send_length: bool = True  # send Content-Length
    truncate: bool = False  # announce the full length, send half, close


class Handler(http.server.BaseHTTPRequestHandler):
    routes: dict = {}
    requests = collections.Counter()

    def do_GET(self):
        Handler.requests[self.path] += 1
        route = Handler.routes.get(self.path)
        if route is None or route.status != 200:
            self.send_error(route.status if route else 404, "Not Found")
            return
        self.send_response(200)
        if route.send_length:
            self.send_header("Content-Length", str(len(route.body)))
        self.end_headers()
        self.wfile.write(route.body[:len(route.body) // 2] if route.truncate else route.body)

    def log_message(self, *args):
        pass


class Server:
    """serve(path, body, ...) registers a route; url(path) is its address; requests(path)
    counts the GETs it had."""

    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"

    def serve(self, path, body, **options) -> str:
        Handler.routes[path] = Route(body, **options)
        return self.url(path)

    def url(self, path) -> str:
        return f"{self.base}{path}"

    def requests(self, path) -> int:
        return Handler.requests[path]


def leftovers(directory) -> list:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def md5(body: bytes) -> str:
    return "md5:" + hashlib.md5(body).hexdigest()


def sha256(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def place_verified_stand_in(directory, spec):
    """A cached stand-in for a published file that cannot be downloaded here: a sparse file of
    the published size (no disk blocks) with a sidecar recording a digest that matches the
    published one, as fetch leaves a verified download. Returns its path."""
    from mrcnn_tf.weights.verify import remember_digest

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / spec.filename
    with open(path, "wb") as f:
        f.truncate(spec.size)
    full = spec.digest.value.ljust(hashlib.new(spec.digest.algorithm).digest_size * 2, "0")
    remember_digest(path, spec.digest.algorithm, full)
    return path
