"""Find a running target's net/http/pprof endpoint without being told.

The target's listening TCP sockets are its ``/proc/PID/fd`` socket inodes
matched against ``/proc/PID/net/tcp{,6}`` rows in LISTEN state; those
reachable on loopback are probed for ``/debug/pprof/``. Probing sends HTTP,
so it must only run while the target runs (a stopped target never answers).
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass

from .http_source import is_pprof

TCP_LISTEN = "0A"


@dataclass(frozen=True, slots=True)
class ListeningSocket:
    host: str  # the address to dial: loopback for wildcard listeners
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    fd_dir = f"/proc/{pid}/fd"
    try:
        names = os.listdir(fd_dir)
    except OSError:
        return inodes
    for name in names:
        try:
            link = os.readlink(f"{fd_dir}/{name}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    return inodes


def _decode_address(hex_addr: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """/proc/net/tcp's host-order hex (4-byte little-endian words) → an IP address."""
    raw = bytes.fromhex(hex_addr)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return ipaddress.ip_address(words)


def listening_sockets(pid: int) -> list[ListeningSocket]:
    """TCP sockets ``pid`` listens on that can be dialled from this host over loopback."""
    inodes = _socket_inodes(pid)
    found: list[ListeningSocket] = []
    for table in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{table}") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if len(cols) < 10 or cols[3] != TCP_LISTEN or cols[9] not in inodes:
                continue
            local, _, port_hex = cols[1].rpartition(":")
            addr = _decode_address(local)
            if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
                addr = addr.ipv4_mapped
            if addr.is_unspecified:
                host = "127.0.0.1" if addr.version == 4 or table == "tcp6" else "::1"
            elif addr.is_loopback:
                host = str(addr)
            else:
                continue
            sock = ListeningSocket(host, int(port_hex, 16))
            if sock not in found:
                found.append(sock)
    return sorted(found, key=lambda s: s.port)


async def discover_pprof(pid: int, *, timeout: float = 0.5, probed: set[ListeningSocket] | None = None) -> str | None:
    """The base URL (http://host:port) of ``pid``'s pprof endpoint, or None. Target must be running.

    Sockets in ``probed`` are skipped, and each one that answered the probe
    (pprof or not) is added, so a caller watching for a listener the
    program opens late sends every other server of the program one request
    only. A probe cut short (the target stopped) leaves its socket unprobed.
    """
    for sock in listening_sockets(pid):
        if probed is not None and sock in probed:
            continue
        found = await is_pprof(sock.url, timeout=timeout)
        if probed is not None:
            probed.add(sock)
        if found:
            return sock.url
    return None
