"""Hostile bytes on the wire: the JSON-RPC reader and the pprof decoder fail with their
typed error, never another exception, never a hang, never unbounded memory.

Complements tests/adapters/test_client_framing.py (random bytes into the reply reader,
an oversized reply without a newline, one truncated reply) and
tests/adapters/pprof/test_pprof_decode.py (valid encodings, a few corrupt profiles).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import time
import zlib

import anyio
import anyio.abc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from godbg_tui.adapters.dlv.client import (
    CallTimeout,
    ConnectionLost,
    DelveClient,
    ProtocolError,
    ReplyReader,
)
from godbg_tui.adapters.pprof import profile as profile_module
from godbg_tui.adapters.pprof.profile import ProfileDecodeError, decode_profile

pytestmark = pytest.mark.timeout(120)

# ---------------------------------------------------------------------------------------------
# JSON-RPC replies

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=30,
)
replies = st.lists(
    st.builds(
        lambda i, result, error: json.dumps({"id": i, "result": result, "error": error}).encode() + b"\n",
        st.integers(0, 2**31),
        json_values,
        st.none() | st.text(max_size=40),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(replies, st.lists(st.integers(1, 200), max_size=20))
def test_replies_split_anywhere_come_out_whole_and_in_order(lines, cuts):
    data = b"".join(lines)
    reader, got, pos = ReplyReader(), [], 0
    for cut in cuts:
        got += reader.feed(data[pos : pos + cut])
        pos += cut
    got += reader.feed(data[pos:])
    assert [e.id for e in got] == [json.loads(line)["id"] for line in lines]


@settings(max_examples=150)
@given(replies, st.data())
def test_damaged_replies_raise_protocol_error_or_decode(lines, data):
    """Truncate, flip a byte or splice junk into valid replies: a typed error or a decoded envelope."""
    raw = bytearray(b"".join(lines))
    at = data.draw(st.integers(0, len(raw) - 1))
    damage = data.draw(st.sampled_from(["truncate", "flip", "splice"]))
    if damage == "truncate":
        del raw[at:]
    elif damage == "flip":
        raw[at] ^= data.draw(st.integers(1, 255))
    else:
        raw[at:at] = data.draw(st.binary(min_size=1, max_size=50))
    reader = ReplyReader(max_bytes=64 * 1024)
    with contextlib.suppress(ProtocolError):
        reader.feed(bytes(raw))
        reader.feed(b"\n")


@pytest.mark.parametrize(
    "line",
    [
        pytest.param(b'{"id":1,"result":' + b"[" * 100_000 + b"]" * 100_000 + b',"error":null}', id="deep-nesting"),
        pytest.param(b'{"id":' + b"9" * 5000 + b',"result":null,"error":null}', id="huge-id"),
        pytest.param(b'{"id":1,"result":null,"error":' + b"7" * 400 + b"}", id="number-as-error"),
        pytest.param(b'{"id":NaN,"result":null,"error":null}', id="nan"),
        pytest.param(b"\xff\xfe\x00{" * 100, id="binary"),
        pytest.param(b'"' + b"a" * 100_000, id="unterminated-string"),
    ],
)
def test_pathological_replies_are_protocol_errors(line):
    reader = ReplyReader()
    started = time.monotonic()
    with pytest.raises(ProtocolError):
        reader.feed(line + b"\n")
    assert time.monotonic() - started < 2


def test_reader_memory_is_bounded_by_its_cap():
    """A server that never ends its line can make the reader hold at most max_bytes plus one chunk."""
    reader = ReplyReader(max_bytes=1 << 20)
    chunk = b" " * 65536
    with pytest.raises(ProtocolError, match="larger than"):
        for _ in range(1000):
            reader.feed(chunk)
            assert len(reader._buf) <= (1 << 20) + len(chunk)


@contextlib.asynccontextmanager
async def client_with_peer():
    ours, theirs = socket.socketpair()
    stream = await anyio.abc.UNIXSocketStream.from_socket(ours)
    async with DelveClient(stream, default_timeout=2) as client:
        yield client, theirs
    theirs.close()


@pytest.mark.parametrize(
    "junk",
    [
        pytest.param(b'{"id":1,"result":' + b"[" * 100_000 + b"]" * 100_000 + b',"error":null}\n', id="deep-nesting"),
        pytest.param(b"\x00\x01\x02 not json\n", id="garbage"),
        pytest.param(b'{"id":1,"result":{"Pid":"not a number"},"error":null}\n', id="wrong-shape"),
    ],
)
async def test_a_call_fails_typed_when_the_server_sends_junk(junk):
    async with client_with_peer() as (client, peer):
        async with anyio.create_task_group() as tg:

            async def ask() -> None:
                with pytest.raises(ProtocolError):
                    await client.process_pid()

            tg.start_soon(ask)
            await anyio.wait_readable(peer)
            peer.recv(65536)
            peer.sendall(junk)


async def test_a_server_that_trickles_bytes_forever_times_out():
    """Slowloris: bytes keep coming but never a whole reply; the call ends at its timeout."""
    async with client_with_peer() as (client, peer):
        peer.setblocking(False)

        async def trickle() -> None:
            while True:
                with contextlib.suppress(BlockingIOError):
                    peer.send(b" ")
                await anyio.sleep(0.01)

        async with anyio.create_task_group() as tg:
            tg.start_soon(trickle)
            with pytest.raises(CallTimeout, match="ProcessPid"):
                await client.process_pid()
            tg.cancel_scope.cancel()


async def test_a_server_that_vanishes_fails_pending_and_later_calls():
    async with client_with_peer() as (client, peer):
        async with anyio.create_task_group() as tg:

            async def ask() -> None:
                with pytest.raises(ConnectionLost):
                    await client.state(non_blocking=False)

            tg.start_soon(ask)
            await anyio.wait_readable(peer)
            peer.close()
        with pytest.raises(ConnectionLost):
            await client.process_pid()


# ---------------------------------------------------------------------------------------------
# pprof profiles


def varint(v: int) -> bytes:
    v &= (1 << 64) - 1
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def ld(num: int, payload: bytes) -> bytes:
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def vi(num: int, value: int) -> bytes:
    return varint(num << 3) + varint(value)


def small_profile() -> bytes:
    """A valid two-stack heap profile (alloc_space, inuse_space) as Go writes it."""
    strings = ["", "alloc_space", "bytes", "inuse_space", "main.leaf", "main.go", "main.main"]
    out = vi(9, 1_700_000_000_000_000_000)
    out += ld(1, vi(1, 1) + vi(2, 2)) + ld(1, vi(1, 3) + vi(2, 2))
    out += ld(2, ld(1, varint(1) + varint(2)) + ld(2, varint(4096) + varint(1024)))
    out += ld(2, ld(1, varint(2)) + ld(2, varint(512) + varint(0)))
    out += ld(4, vi(1, 1) + vi(3, 0x1000) + ld(4, vi(1, 1) + vi(2, 10)))
    out += ld(4, vi(1, 2) + vi(3, 0x2000) + ld(4, vi(1, 2) + vi(2, 20)))
    out += ld(5, vi(1, 1) + vi(2, 4) + vi(4, 5)) + ld(5, vi(1, 2) + vi(2, 6) + vi(4, 5))
    out += b"".join(ld(6, s.encode()) for s in strings)
    return out


VALID = small_profile()


def test_the_fuzzing_seed_is_a_valid_profile():
    profile = decode_profile(VALID)
    assert len(profile.stacks) == 2 and profile.totals()


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2048))
def test_random_bytes_are_a_profile_or_a_decode_error(data):
    with contextlib.suppress(ProfileDecodeError):
        decode_profile(data)


@settings(max_examples=250, deadline=None)
@given(st.data())
def test_damaged_profiles_are_a_profile_or_a_decode_error(data):
    raw = bytearray(data.draw(st.sampled_from([VALID, gzip.compress(VALID)])))
    for _ in range(data.draw(st.integers(1, 4))):
        if not raw:
            break
        at = data.draw(st.integers(0, len(raw) - 1))
        damage = data.draw(st.sampled_from(["truncate", "flip", "splice", "drop"]))
        if damage == "truncate":
            del raw[max(at, 1) :]
        elif damage == "flip":
            raw[at] ^= data.draw(st.integers(1, 255))
        elif damage == "splice":
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=20))
        else:
            del raw[at : at + data.draw(st.integers(1, 10))]
    with contextlib.suppress(ProfileDecodeError):
        decode_profile(bytes(raw))


@pytest.mark.parametrize("cut", range(1, len(VALID)))
def test_every_truncation_is_a_decode_error_or_a_shorter_profile(cut):
    with contextlib.suppress(ProfileDecodeError):
        decode_profile(VALID[:cut])


@pytest.mark.parametrize("where", ["field key", "packed location list"])
def test_overlong_varints_are_refused(where):
    """protobuf varints have at most 10 bytes; a decoder that reads on spends quadratic time on a
    megabyte of 0xff (200 KB took 2.4 s), so the cap is what keeps hostile input cheap."""
    overlong = b"\xff" * 11 + b"\x01"
    data = overlong if where == "field key" else ld(2, ld(1, overlong))
    with pytest.raises(ProfileDecodeError, match="varint"):
        decode_profile(data)


def test_a_gzip_bomb_is_refused_without_inflating_it(monkeypatch):
    """MAX_INFLATED_BYTES is lowered so that the bomb stays small."""
    monkeypatch.setattr(profile_module, "MAX_INFLATED_BYTES", 16 << 20, raising=False)
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)
    zeros = b"\0" * (16 << 20)
    bomb = packer.compress(b"\x07") + b"".join(packer.compress(zeros) for _ in range(8)) + packer.flush()
    assert len(bomb) < 1 << 20
    with pytest.raises(ProfileDecodeError, match="larger than"):
        decode_profile(bomb)
