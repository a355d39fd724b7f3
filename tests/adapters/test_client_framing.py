"""Framing, decoding and the running gate of DelveClient, on recorded transcripts.

A scripted peer on a socketpair plays Delve's side with replies recorded from
dlv 1.20.2 / 1.27.1 (see shared/ref/delve-api.md §6.1). Pure protocol logic, so
no real dlv here; the real-dlv paths are in test_session.py.
"""

from __future__ import annotations

import contextlib
import json
import socket

import anyio
import anyio.abc
import anyio.lowlevel
import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from godbg_tui.adapters.dlv.client import (
    CallTimeout,
    ConnectionLost,
    DelveClient,
    ProtocolError,
    ReplyReader,
    RPCError,
)
from godbg_tui.adapters.dlv.types import DebuggerState, Goroutine, Variable

STATE_AT_BP = (
    '{"Pid":16659,"Running":false,"Recording":false,"CoreDumping":false,"currentThread":{"id":16659,'
    '"pc":5031439,"file":"/home/dev/prog/main.go","line":142,"function":{"name":"main.main","value":5028544,'
    '"type":0,"goType":0,"optimized":false},"goroutineID":1,"breakPoint":{"id":1,"name":"","addr":5031439,'
    '"addrs":[5031439],"addrpid":[16659],"file":"/home/dev/prog/main.go","line":142,"functionName":"main.main",'
    '"Cond":"","HitCond":"","HitCondPerG":false,"continue":false,"traceReturn":false,"goroutine":false,'
    '"stacktrace":0,"LoadArgs":null,"LoadLocals":null,"WatchExpr":"","WatchType":0,"hitCount":{"1":1},'
    '"totalHitCount":1,"disabled":false},"breakPointInfo":{},"ReturnValues":null,"CallReturn":false},'
    '"currentGoroutine":{"id":1,"currentLoc":{"pc":5031439,"file":"/home/dev/prog/main.go","line":142},'
    '"userCurrentLoc":{"pc":5031439,"file":"/home/dev/prog/main.go","line":142},"goStatementLoc":{},'
    '"startLoc":{},"threadID":16659,"status":2,"waitSince":0,"waitReason":14,"unreadable":""},'
    '"Threads":null,"NextInProgress":false,"WatchOutOfScope":null,"exited":false,"exitStatus":0,"When":"",'
    '"SomeFieldFromTheFuture":{"x":1}}'
)
RUNNING_STUB = (
    '{"Pid":0,"Running":true,"Recording":false,"CoreDumping":false,"Threads":null,"NextInProgress":false,'
    '"WatchOutOfScope":null,"exited":false,"exitStatus":0,"When":""}'
)


def reply(call_id: int, result: str | None = None, error: str | None = None) -> bytes:
    err = "null" if error is None else json.dumps(error)
    return f'{{"id":{call_id},"result":{result if result is not None else "null"},"error":{err}}}\n'.encode()


class ScriptedDelve:
    """The Delve side of a socketpair: records requests, answers when told."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.requests: list[dict] = []
        self._buf = b""

    async def next_request(self, timeout: float = 5) -> dict:
        with anyio.fail_after(timeout):
            while b"\n" not in self._buf:
                await anyio.wait_readable(self.sock)
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise EOFError
                self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        req = json.loads(line)
        self.requests.append(req)
        return req

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def has_pending_request(self) -> bool:
        self.sock.setblocking(False)
        try:
            chunk = self.sock.recv(65536)
        except BlockingIOError:
            chunk = b""
        self._buf += chunk
        return b"\n" in self._buf


@contextlib.asynccontextmanager
async def scripted_pair():
    """A client wired to a scripted Delve (entered and left in the test's own task)."""
    ours, theirs = socket.socketpair()
    theirs.setblocking(False)
    stream = await anyio.abc.UNIXSocketStream.from_socket(ours)
    async with DelveClient(stream, default_timeout=5) as client:
        yield client, ScriptedDelve(theirs)
    theirs.close()


async def test_replies_matched_by_id_out_of_order():
    async with scripted_pair() as (client, delve):
        results = {}

        async def pid():
            results["pid"] = await client.process_pid()

        async def funcs():
            results["funcs"] = await client.list_functions("main")

        async with anyio.create_task_group() as tg:
            tg.start_soon(pid)
            r1 = await delve.next_request()
            tg.start_soon(funcs)
            r2 = await delve.next_request()
            delve.send(reply(r2["id"], '{"Funcs":["main.main","main.compute"]}') + reply(r1["id"], '{"Pid":42}'))
        assert results == {"pid": 42, "funcs": ["main.main", "main.compute"]}
        assert r1["method"] == "RPCServer.ProcessPid" and r1["params"] == [{}]


async def test_a_request_is_written_in_the_callers_first_step():
    """No loop turn between a call and its bytes on a unix socket: work queued meanwhile (the UI
    handling a stop) runs while Delve answers, not before Delve has the request."""
    async with scripted_pair() as (client, delve):
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.process_pid)
            await anyio.lowlevel.cancel_shielded_checkpoint()  # the call's task runs its first step, no more
            assert delve.has_pending_request()
            request = await delve.next_request()
            delve.send(reply(request["id"], '{"Pid":42}'))
        assert request["method"] == "RPCServer.ProcessPid"


async def test_error_string_becomes_rpc_error():
    async with scripted_pair() as (client, delve):
        async with anyio.create_task_group() as tg:
            async def ask():
                with pytest.raises(RPCError) as info:
                    await client.process_pid()
                assert info.value.process_exited
                assert "Process 15618 has exited with status 3" in str(info.value)

            tg.start_soon(ask)
            req = await delve.next_request()
            delve.send(reply(req["id"], error="Process 15618 has exited with status 3"))


async def test_state_decodes_nulls_missing_and_unknown_fields():
    async with scripted_pair() as (client, delve):
        async with anyio.create_task_group() as tg:
            got = {}

            async def ask():
                got["state"] = await client.state(non_blocking=False)

            tg.start_soon(ask)
            req = await delve.next_request()
            delve.send(reply(req["id"], '{"State":' + STATE_AT_BP + "}"))
        state: DebuggerState = got["state"]
        assert state.currentThread.breakPoint.hitCount == {"1": 1}
        assert state.currentThread.breakPoint.tracepoint is False
        assert state.currentGoroutine.goStatementLoc.file == ""
        assert state.Threads is None and state.stopReason == ""


async def test_sync_call_waits_while_running_but_halt_goes_out():
    """The rule that keeps one connection from freezing (delve-api.md §1.2)."""
    async with scripted_pair() as (client, delve):
        order = []
        async with anyio.create_task_group() as tg:

            async def cont():
                await client.command("continue")
                order.append("continue")

            async def goroutines():
                await client.list_goroutines(0, 10)
                order.append("goroutines")

            tg.start_soon(cont)
            cont_req = await delve.next_request()
            assert client.running
            tg.start_soon(goroutines)
            await anyio.sleep(0)  # let the sync call reach the gate
            for _ in range(20):
                await anyio.sleep(0)
            assert not delve.has_pending_request(), "a sync call went out while the target runs"

            async def probe():
                st = await client.state(non_blocking=True)
                assert st.Running

            tg.start_soon(probe)
            probe_req = await delve.next_request()
            assert probe_req["params"] == [{"NonBlocking": True}]
            delve.send(reply(probe_req["id"], '{"State":' + RUNNING_STUB + "}"))

            tg.start_soon(client.halt)
            halt_req = await delve.next_request()
            assert halt_req["params"][0]["name"] == "halt"
            delve.send(reply(cont_req["id"], '{"State":' + STATE_AT_BP + "}"))
            delve.send(reply(halt_req["id"], '{"State":' + STATE_AT_BP + "}"))
            gr_req = await delve.next_request()
            assert gr_req["method"] == "RPCServer.ListGoroutines"
            delve.send(reply(gr_req["id"], '{"Goroutines":[],"Nextg":-1,"Groups":null,"TooManyGroups":false}'))
        assert order == ["continue", "goroutines"]
        assert not client.running


async def test_cancelled_continue_keeps_gate_until_reply():
    async with scripted_pair() as (client, delve):
        with anyio.move_on_after(0.2):
            async with anyio.create_task_group() as tg:
                tg.start_soon(client.command, "continue")
                cont_req = await delve.next_request()
                tg.cancel_scope.cancel()
        assert client.running, "the target still runs after the caller gave up"
        delve.send(reply(cont_req["id"], '{"State":' + STATE_AT_BP + "}"))
        with anyio.fail_after(5):
            await client.wait_stopped()
        assert not client.running


async def test_timeout_names_the_method():
    async with scripted_pair() as (client, delve):
        with pytest.raises(CallTimeout, match="ListSources"):
            await client.call("ListSources", {"Filter": ""}, timeout=0.2)
        assert (await delve.next_request())["method"] == "RPCServer.ListSources"


async def test_eof_fails_pending_and_later_calls():
    async with scripted_pair() as (client, delve):
        async with anyio.create_task_group() as tg:

            async def ask():
                with pytest.raises(ConnectionLost):
                    await client.process_pid()

            tg.start_soon(ask)
            await delve.next_request()
            delve.sock.close()
        with pytest.raises(ConnectionLost):
            await client.process_pid()


async def test_malformed_reply_closes_connection_with_protocol_error():
    async with scripted_pair() as (client, delve):
        async with anyio.create_task_group() as tg:

            async def ask():
                with pytest.raises(ProtocolError):
                    await client.process_pid()

            tg.start_soon(ask)
            await delve.next_request()
            delve.send(b'{"id":1,"result":{"Pid":1},"error":null,}\n')
        assert client.closed


def test_reader_handles_split_and_batched_replies():
    r = ReplyReader()
    data = reply(1, '{"Pid":1}') + reply(2, None, "boom") + reply(3, '{"x":"a\\nb"}')
    got = []
    for i in range(0, len(data), 7):
        got += r.feed(data[i : i + 7])
    assert [e.id for e in got] == [1, 2, 3]
    assert got[1].error == "boom"


def test_reader_rejects_oversized_reply_without_newline():
    r = ReplyReader(max_bytes=1000)
    r.feed(b"{" + b" " * 900)
    with pytest.raises(ProtocolError, match="larger than"):
        r.feed(b" " * 200)


def test_truncated_reply_is_held_not_guessed():
    r = ReplyReader()
    whole = reply(7, '{"Pid":1}')
    assert r.feed(whole[:-5]) == []
    assert [e.id for e in r.feed(whole[-5:])] == [7]


@settings(max_examples=300)
@given(st.binary(max_size=4096))
def test_reader_on_random_bytes_raises_typed_error_or_returns(data):
    r = ReplyReader(max_bytes=8192)
    try:
        r.feed(data)
        r.feed(b"\n")
    except ProtocolError:
        pass


@settings(max_examples=200)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
                    max_leaves=20))
def test_types_decode_arbitrary_json_or_raise_validation(value):
    raw = json.dumps({"id": 1, "name": "x", "children": [value], "currentLoc": value, "labels": value})
    for t in (Variable, Goroutine, DebuggerState):
        try:
            msgspec.json.decode(raw, type=t)
        except msgspec.ValidationError:
            pass
