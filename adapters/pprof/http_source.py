"""Fetch ``/debug/pprof/heap`` from a running target over plain HTTP/1.0.

Raw anyio TCP rather than http.client: cancelling the task closes the socket
at once, which is what a stop needs. While Delve holds the target stopped the
kernel still accepts the connection (listen backlog) but no byte ever comes
back, and a request left queued would run at the next resume and perturb the
program; so callers only send while the target runs and cancel on a stop.
HTTP/1.0 makes Go's server send the body unchunked and close at its end.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from urllib.parse import urlsplit

import anyio
import anyio.abc

MAX_RESPONSE_BYTES = 512 * 1024 * 1024
HEAP_PATH = "/debug/pprof/heap"
INDEX_PATH = "/debug/pprof/"


class PprofHTTPError(Exception):
    """The endpoint could not be reached or did not answer with a profile; the message says which."""


@dataclass(frozen=True, slots=True)
class HTTPResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def base_url(url: str) -> str:
    """Normalise ``--pprof`` input: ``host:port``, ``http://host:port`` or a full /debug/pprof URL → http://host:port."""
    text = url.strip()
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port  # raises on a port that is not a number in range
    except ValueError as exc:
        raise PprofHTTPError(f"{url}: not a URL ({exc}); give host:port, e.g. 127.0.0.1:6060") from exc
    if parts.scheme != "http":
        raise PprofHTTPError(f"{url}: only http:// pprof endpoints are supported")
    if not parts.hostname or not port:
        raise PprofHTTPError(f"{url}: give host:port, e.g. 127.0.0.1:6060")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"http://{host}:{port}"


async def http_get(url: str, *, connect_timeout: float = 0.5, timeout: float = 2.0) -> HTTPResponse:
    """GET ``url`` (http only) and return the whole response; raises PprofHTTPError on any failure."""
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or 80
    if parts.scheme != "http" or not host:
        raise PprofHTTPError(f"{url}: not an http:// URL")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    request = (
        f"GET {target} HTTP/1.0\r\nHost: {parts.netloc}\r\nUser-Agent: godbg-tui\r\n"
        "Accept-Encoding: identity\r\n\r\n"
    ).encode()
    try:
        with anyio.fail_after(connect_timeout):
            stream = await anyio.connect_tcp(host, port)
    except TimeoutError:
        raise PprofHTTPError(f"{url}: no connection within {connect_timeout:g} s") from None
    except OSError as exc:
        raise PprofHTTPError(f"{url}: cannot connect ({exc.strerror or exc})") from None
    data = bytearray()
    complete = False
    try:
        with anyio.fail_after(timeout):
            await stream.send(request)
            while True:
                try:
                    chunk = await stream.receive(65536)
                except anyio.EndOfStream:
                    break
                data += chunk
                if len(data) > MAX_RESPONSE_BYTES:
                    raise PprofHTTPError(f"{url}: response larger than {MAX_RESPONSE_BYTES} bytes")
        complete = True
    except TimeoutError:
        raise PprofHTTPError(f"{url}: no complete answer within {timeout:g} s") from None
    except (OSError, anyio.BrokenResourceError) as exc:
        raise PprofHTTPError(f"{url}: connection broke ({exc})") from None
    finally:
        if not complete:
            _reset_on_close(stream)
        await anyio.aclose_forcefully(stream)
    return _parse_response(url, bytes(data))


def _reset_on_close(stream: anyio.abc.SocketStream) -> None:
    """Make close send RST: a request still queued in a stopped target's backlog is then dropped
    by the kernel instead of being served (and allocating) when the target resumes."""
    raw = stream.extra(anyio.abc.SocketAttribute.raw_socket, None)
    if raw is not None:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _parse_response(url: str, data: bytes) -> HTTPResponse:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        raise PprofHTTPError(f"{url}: not an HTTP response")
    lines = head.decode("latin-1").split("\r\n")
    status_line = lines[0].split(" ", 2)
    if len(status_line) < 2 or not status_line[0].startswith("HTTP/") or not status_line[1].isdigit():
        raise PprofHTTPError(f"{url}: not an HTTP response ({lines[0][:60]!r})")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = _dechunk(url, body)
    elif "content-length" in headers and headers["content-length"].isdigit():
        if len(body) < int(headers["content-length"]):
            raise PprofHTTPError(f"{url}: response cut short")
    return HTTPResponse(int(status_line[1]), headers, body)


def _dechunk(url: str, body: bytes) -> bytes:
    out = bytearray()
    pos = 0
    while True:
        end = body.find(b"\r\n", pos)
        if end < 0:
            raise PprofHTTPError(f"{url}: response cut short")
        size = int(body[pos:end].split(b";")[0] or b"0", 16)
        pos = end + 2
        if size == 0:
            return bytes(out)
        out += body[pos : pos + size]
        pos += size + 2


async def fetch_heap(base: str, *, timeout: float = 2.0) -> bytes:
    """The raw (gzipped) heap profile from ``base`` + /debug/pprof/heap."""
    url = base.rstrip("/") + HEAP_PATH
    response = await http_get(url, timeout=timeout)
    if response.status != 200:
        text = response.body[:200].decode("utf-8", "replace").strip()
        raise PprofHTTPError(f"{url} answered {response.status}: {text}")
    return response.body


async def is_pprof(base: str, *, timeout: float = 0.5) -> bool:
    """True if ``base`` serves net/http/pprof's index (a cheap probe, no profile is built)."""
    try:
        response = await http_get(base.rstrip("/") + INDEX_PATH, connect_timeout=timeout, timeout=timeout)
    except PprofHTTPError:
        return False
    return response.status == 200 and b"heap" in response.body
