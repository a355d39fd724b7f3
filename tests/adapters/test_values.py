"""adapters/values.py: dlv's value formatting, summaries and the paging expressions.

Hand-built Variables pin the rules; real Variables from the prog fixture (one dlv
session for the module) pin that the rules hold for what Delve actually sends, that
the paging/reload/child expressions evaluate to exactly the values they promise,
and that format_value prints what the dlv terminal itself prints.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

import msgspec
import pytest
import pytest_asyncio

from godbg_tui.adapters.dlv.client import LONG_LOAD, SHORT_LOAD
from godbg_tui.adapters.dlv.launcher import LaunchSpec
from godbg_tui.adapters.dlv.types import (
    FLAG_FAKE_ADDRESS,
    FLAG_SHADOWED,
    KIND_BOOL,
    KIND_CHAN,
    KIND_FUNC,
    KIND_INT,
    KIND_INTERFACE,
    KIND_MAP,
    KIND_PTR,
    KIND_SLICE,
    KIND_STRING,
    KIND_STRUCT,
    Variable,
)
from godbg_tui.adapters.session import DebugSession
from godbg_tui.adapters.values import (
    FormatError,
    child_expr,
    children_of,
    format_value,
    go_quote,
    go_sprintf,
    has_children,
    is_fake_address,
    is_shadowed,
    is_truncated,
    more_expr,
    reload_expr,
    summary,
)

KIND_FLOAT64, KIND_UINT = 14, 7


def num(value: int | str, kind: int = KIND_INT, **kw) -> Variable:
    return Variable(kind=kind, type=kw.pop("type", "int"), value=str(value), addr=kw.pop("addr", 0x100), **kw)


def string(text: str, length: int | None = None, **kw) -> Variable:
    return Variable(kind=KIND_STRING, type="string", value=text, len=len(text.encode()) if length is None else length, addr=kw.pop("addr", 0x200), **kw)


def int_slice(items: list[int], length: int | None = None, addr: int = 0xC000010000, **kw) -> Variable:
    n = len(items) if length is None else length
    return Variable(
        kind=KIND_SLICE, type="[]int", len=n, cap=kw.pop("cap", n), addr=addr, base=0xC000020000,
        children=[num(i, addr=0xC000020000 + 8 * k) for k, i in enumerate(items)], **kw,
    )


# ----- Go quoting and fmt verbs (expected strings recorded from `go run` with go1.26) -----


@pytest.mark.parametrize(
    "fmt, value, expected",
    [
        ("%v", 1000000.0, "1e+06"),
        ("%v", 123456789.0, "1.23456789e+08"),
        ("%v", 12345.678, "12345.678"),
        ("%v", 0.0001, "0.0001"),
        ("%v", 0.00001, "1e-05"),
        ("%g", 100.0, "100"),
        ("%e", 1000000.0, "1.000000e+06"),
        ("%.2f", 12345.678, "12345.68"),
        ("%x", 3.25, "0x1.ap+01"),
        ("%b", 1000000.0, "8589934592000000p-33"),
        ("%08.3f", 3.25, "0003.250"),
        ("%08.3f", float("inf"), "    +Inf"),
        ("%5.1g", 3.25, "    3"),
        ("%v", float("nan"), "NaN"),
        ("%x", 255, "ff"),
        ("%#x", 255, "0xff"),
        ("%X", 255, "FF"),
        ("%#o", 8, "010"),
        ("%O", 8, "0o10"),
        ("%b", 5, "101"),
        ("%c", 65, "A"),
        ("%q", 65, "'A'"),
        ("%U", 0x1F600, "U+1F600"),
        ("%08x", 255, "000000ff"),
        ("%-6d|", 42, "42    |"),
        ("%+d", 42, "+42"),
        ("% d", 42, " 42"),
        ("%.3d", 7, "007"),
        ("%x", -31, "-1f"),
        ("%e", 5, "%!e(int64=5)"),
        ("%x", "hi\x01", "686901"),
        ("% x", "hi", "68 69"),
        ("%#x", "hi", "0x6869"),
        ("%q", 'a\tb"\u00e9\x7f\u200b', '"a\\tb\\"é\\x7f\\u200b"'),
        ("%#q", "ab", "`ab`"),
        ("%.3s", "hello", "hel"),
        ("%10s", "hi", "        hi"),
        ("%d", "str", "%!d(string=str)"),
        ("%v", True, "true"),
        ("%d", True, "%!d(bool=true)"),
        ("%v", complex(1.5, -2), "(1.5-2i)"),
        ("%.2f", complex(1, 2), "(1.00+2.00i)"),
        ("%d %d", 5, "5 %!d(MISSING)"),
        ("100%% %d", 5, "100% 5"),
    ],
)
def test_go_sprintf_matches_go(fmt, value, expected):
    assert go_sprintf(fmt, value) == expected


def test_go_sprintf_without_a_verb_is_an_error():
    with pytest.raises(FormatError, match="no verb"):
        go_sprintf("abc", 5)


@pytest.mark.parametrize(
    "data, expected",
    [
        ("plain", '"plain"'),
        ("tab\there\n", '"tab\\there\\n"'),
        ('quote " and \\', '"quote \\" and \\\\"'),
        ("\x00\x1b", '"\\x00\\x1b"'),
        ("héllo ✓ 😀", '"héllo ✓ 😀"'),
        ("\u00a0\u2028", '"\\u00a0\\u2028"'),
        (b"ok\xff\xfe", '"ok\\xff\\xfe"'),
        (b"\xe2\x82", '"\\xe2\\x82"'),
    ],
)
def test_go_quote(data, expected):
    assert go_quote(data) == expected


# ----- summaries of hand-built values -----


def test_scalars_and_hex():
    assert summary(num(31)) == "31"
    assert summary(num(31), hex=True) == "0x1f"
    assert summary(num(-31), hex=True) == "-0x1f"
    assert summary(num(7, KIND_UINT, type="uint")) == "7"
    assert summary(num("Running (2)", type="main.State"), hex=True) == "0x2"
    assert summary(num("3.25", KIND_FLOAT64, type="float64"), hex=True) == "3.25"
    assert summary(num("true", KIND_BOOL, type="bool")) == "true"
    assert summary(Variable(kind=KIND_INT, type="int", addr=8)) == "(unknown int)"


def test_strings_quote_and_say_how_much_is_missing():
    assert summary(string('say "hi"\n')) == '"say \\"hi\\"\\n"'
    assert summary(string("abcd", length=5000)) == '"abcd...+4996 more"'
    cut = summary(string("x" * 64, length=5000), width=30)
    assert len(cut) <= 30 and re.fullmatch(r'"x+\.\.\.\+\d+ more"', cut)
    shown = cut.count("x")
    assert cut.endswith(f"...+{5000 - shown} more\"")


def test_big_slice_shows_what_fits_then_how_many_more():
    v = int_slice([i * i for i in range(64)], length=10000)
    assert summary(v, width=0).startswith("[]int len: 10000, cap: 10000, [0,1,4,9,")
    assert summary(v, width=0).endswith(",3969,...+9936 more]")
    head = "[]int len: 10000, cap: 10000, "
    three = head + "[0,1,4,...+9997 more]"
    assert summary(v, width=len(three)) == three
    assert summary(v, width=len(three) + 1) == three
    for width in (40, 60, 120):
        assert len(summary(v, width=width)) <= width


def test_map_is_unmistakable_from_a_slice():
    mis = Variable(
        kind=KIND_MAP, type="map[int]string", len=2, addr=0x10, base=0x20,
        children=[num(1), string("a"), num(2), string("b")],
    )
    assert summary(mis) == 'map[int]string [1: "a", 2: "b"]'
    assert format_value(mis) == 'map[int]string [\n\t1: "a", \n\t2: "b", \n]'
    partial = Variable(kind=KIND_MAP, type="map[int]string", len=100, addr=0x10, base=0x20, children=mis.children)
    assert summary(partial) == 'map[int]string [1: "a", 2: "b", ...+98 more]'


def test_nil_and_empty_values():
    assert summary(Variable(kind=KIND_SLICE, type="[]int", addr=0x10)) == "[]int len: 0, cap: 0, nil"
    assert summary(Variable(kind=KIND_MAP, type="map[string]int", addr=0x10)) == "map[string]int nil"
    nil_ptr = Variable(kind=KIND_PTR, type="*main.Person", value="0", addr=0x10, children=[Variable(kind=KIND_STRUCT, type="main.Person")])
    assert summary(nil_ptr) == "*main.Person nil"
    assert not has_children(nil_ptr) and children_of(nil_ptr) == []
    nil_err = Variable(kind=KIND_INTERFACE, type="error", addr=0x10, children=[Variable(name="data", type="", kind=0)])
    assert summary(nil_err) == "error nil"
    assert not has_children(nil_err)
    assert summary(Variable(kind=KIND_CHAN, type="chan int", addr=0x10)) == "chan int nil"
    assert summary(Variable(kind=KIND_FUNC, type="func()", addr=0x10)) == "nil"


def test_struct_pointer_interface_chan_func_unreadable():
    person = Variable(
        kind=KIND_STRUCT, type="main.Person", len=3, addr=0x100,
        children=[
            string("bob", name="Name"),
            num(26, name="Age"),
            Variable(
                name="Next", kind=KIND_PTR, type="*main.Person", addr=0x118, value=str(0x200),
                children=[Variable(kind=KIND_STRUCT, type="main.Person", addr=0x200, onlyAddr=True)],
            ),
        ],
    )
    assert summary(person) == 'main.Person {Name: "bob", Age: 26, Next: (*main.Person)(0x200)}'
    assert summary(person, width=37) == 'main.Person {Name: "bob", ...+2 more}'
    boxed = Variable(
        kind=KIND_INTERFACE, type="error", addr=0x300,
        children=[
            Variable(
                name="data", kind=KIND_PTR, type="*errors.errorString", addr=0x308, value=str(0x400),
                children=[Variable(kind=KIND_STRUCT, type="errors.errorString", addr=0x400, len=1, children=[string("boom", name="s")])],
            )
        ],
    )
    assert summary(boxed) == 'error(*errors.errorString) *{s: "boom"}'
    assert children_of(boxed)[0][0] == "*errors.errorString"
    chan = Variable(kind=KIND_CHAN, type="chan int", addr=0x10, len=2, children=[num(0, KIND_UINT, name="qcount"), num(10, KIND_UINT, name="dataqsiz")])
    assert summary(chan) == "chan int 0/10"
    assert summary(Variable(kind=KIND_FUNC, type="func(int) int", value="main.compute", addr=0x10)) == "main.compute"
    assert summary(Variable(kind=KIND_STRUCT, type="main.T", unreadable="could not read memory")) == "(unreadable could not read memory)"


def test_format_value_is_multiline_for_nested_values_and_single_line_for_short_ones():
    point = Variable(kind=KIND_STRUCT, type="main.Point", len=2, addr=0x10, children=[num(1, name="X"), num(2, name="Y")])
    assert format_value(point) == "main.Point {X: 1, Y: 2}"
    assert format_value(point, fmt="%02d") == "main.Point {X: 01, Y: 02}"
    outer = Variable(
        kind=KIND_STRUCT, type="main.Outer", len=2, addr=0x10,
        children=[string("outer", name="Label"), msgspec.structs.replace(point, name="P")],
    )
    assert format_value(outer) == 'main.Outer {\n\tLabel: "outer",\n\tP: main.Point {X: 1, Y: 2},}'
    with pytest.raises(FormatError):
        format_value(point, fmt="x")


# ----- structure and paging rules -----


def test_truncation_rules():
    assert is_truncated(string("abc", length=10))
    assert not is_truncated(string("abc"))
    assert is_truncated(int_slice([1, 2], length=3))
    assert not is_truncated(int_slice([1, 2]))
    m = Variable(kind=KIND_MAP, type="map[int]int", len=2, addr=1, base=2, children=[num(1), num(2)])
    assert is_truncated(m)
    m.children += [num(3), num(4)]
    assert not is_truncated(m)
    ptr = Variable(kind=KIND_PTR, type="*int", addr=8, children=[Variable(kind=KIND_INT, type="int", addr=16, onlyAddr=True)])
    assert is_truncated(ptr)
    assert not is_truncated(Variable(kind=KIND_PTR, type="*int", addr=8, children=[num(5, addr=16)]))
    recursion_limited = Variable(kind=KIND_STRUCT, type="main.Person", len=3, addr=0x40)
    assert is_truncated(recursion_limited) and has_children(recursion_limited)


def test_flags():
    assert is_shadowed(num(1, flags=FLAG_SHADOWED)) and not is_shadowed(num(1))
    assert is_fake_address(num(1, flags=FLAG_FAKE_ADDRESS)) and not is_fake_address(num(1))


def test_children_are_labelled_for_a_tree():
    assert [label for label, _ in children_of(int_slice([5, 6]))] == ["[0]", "[1]"]
    assert [label for label, _ in children_of(int_slice([5, 6]), start=64)] == ["[64]", "[65]"]
    m = Variable(kind=KIND_MAP, type="map[string]int", len=1, addr=1, base=2, children=[string("key007"), num(7)])
    [(label, value)] = children_of(m)
    assert label == '"key007"' and value.value == "7"
    assert child_expr("m", m, label, value) == 'm["key007"]'
    ptr = Variable(kind=KIND_PTR, type="*int", addr=8, children=[num(5, addr=16)])
    assert children_of(ptr)[0][0] == "*"
    assert child_expr("p", ptr, "*", ptr.children[0]) == "*p"
    assert child_expr("*p", Variable(kind=KIND_STRUCT, type="T"), "F", num(1)) == "(*p).F"
    assert child_expr("xs[2]", int_slice([1]), "[0]", num(1)) == "xs[2][0]"
    iface = Variable(kind=KIND_INTERFACE, type="any", addr=8, children=[num(5, name="data")])
    assert child_expr("v", iface, "int", iface.children[0]) == "v.(data)"


def test_more_and_reload_expressions():
    v = int_slice(list(range(64)), length=200, addr=0xC0000A0000)
    assert more_expr(v, "xs", 1) == '(*(*"[]int")(0xc0000a0000))[64:]'
    assert more_expr(v, "xs", 3) == '(*(*"[]int")(0xc0000a0000))[192:]'
    assert more_expr(v, "xs", 4) is None
    computed = int_slice(list(range(64)), length=200, addr=0)
    assert more_expr(computed, "xs[10:]", 1) == "xs[10:][64:]"
    fake = int_slice(list(range(64)), length=200, addr=0x10, flags=FLAG_FAKE_ADDRESS)
    assert more_expr(fake, "obj.xs", 1) == "obj.xs[64:]"
    assert more_expr(fake, "*p", 1) == "(*p)[64:]"
    m = Variable(kind=KIND_MAP, type="map[string]int", len=100, addr=0x50, base=1, children=[string("k"), num(1)] * 64)
    assert more_expr(m, "m", 1) == '(*(*"map[string]int")(0x50))[64:]'
    assert more_expr(string("ab", length=10, addr=0x60), "s", 1) == '(*(*"string")(0x60))[2:]'
    assert more_expr(num(1), "n", 1) is None
    person = Variable(kind=KIND_STRUCT, type="example.com/x/y.Person", len=3, addr=0x70)
    assert reload_expr(person, "p.Next") == '*(*"example.com/x/y.Person")(0x70)'
    assert reload_expr(Variable(kind=KIND_STRUCT, type="T", len=3, addr=0x70, flags=FLAG_FAKE_ADDRESS), "p.Next") == "p.Next"
    assert reload_expr(num(1), "n") == "n"


# ----- real Variables from the prog fixture -----


@dataclass
class Loaded:
    session: DebugSession
    long: dict[str, Variable]
    short: dict[str, Variable]


NAMES = ("anInt", "aFloat", "aBool", "aString", "longString", "bigSlice", "m", "mis", "bob", "ring", "nilPerson", "err", "anything", "ch", "arr", "nested")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def prog_values(go_bin, dlv_path, marker_line):
    """One session for the module, held open by its own task: anyio needs the task that
    entered DebugSession to exit it, and module fixtures tear down in another task."""
    spec = LaunchSpec(mode="exec", program=str(go_bin["prog"]), dlv_path=str(dlv_path))
    loaded: asyncio.Future[Loaded] = asyncio.get_running_loop().create_future()
    release = asyncio.Event()

    async def hold() -> None:
        async with DebugSession(spec) as s:
            await s.continue_(f"main.go:{marker_line('prog', 'main.go', 'vars-ready')}")
            long = {n: await s.eval(n, LONG_LOAD) for n in NAMES}
            short = {v.name: v for v in await s.locals(cfg=SHORT_LOAD)}
            loaded.set_result(Loaded(s, long, short))
            await release.wait()

    holder = asyncio.create_task(hold())
    try:
        await asyncio.wait({loaded, holder}, return_when=asyncio.FIRST_COMPLETED)
        if not loaded.done():
            holder.result()
        yield loaded.result()
    finally:
        release.set()
        await holder


real = pytest.mark.asyncio(loop_scope="module")


@real
async def test_real_summaries_of_every_kind(prog_values):
    v = prog_values.long
    assert summary(v["anInt"]) == "42"
    assert summary(v["anInt"], hex=True) == "0x2a"
    assert summary(v["aFloat"]) == "3.25"
    assert summary(v["aBool"]) == "true"
    assert summary(v["aString"]) == '"hello, godbg"'
    assert summary(v["longString"], width=0) == '"' + ("abcdefghij" * 7)[:64] + '...+4936 more"'
    assert summary(v["bigSlice"], width=50) == "[]int len: 10000, cap: 10000, [0,1,...+9998 more]"
    assert summary(v["mis"], width=0) == 'map[int]string [1: "one", 2: "two", 3: "three"]'
    alice = v["bob"].children[2].children[0]
    carol_addr = alice.children[2].children[0].addr
    assert summary(v["bob"], width=0) == (
        f'main.Person {{Name: "Bob", Age: 42, Next: *main.Person {{Name: "Alice", Age: 31, Next: *(*main.Person)({carol_addr:#x})}}}}'
    )
    assert summary(v["nilPerson"]) == "*main.Person nil"
    assert summary(v["err"], width=0) == (
        'error(*fmt.wrapError) *{msg: "open config: file does not exist", err: error(*errors.errorString) *{s: "file does not exist"}}'
    )
    assert summary(v["anything"]) == "interface {}(main.Point) {X: 1, Y: 2}"
    assert summary(v["ch"]) == "chan int 1/3"
    assert summary(v["arr"]) == "[5]int [10,20,30,40,50]"
    assert summary(v["arr"], hex=True) == "[5]int [0xa,0x14,0x1e,0x28,0x32]"
    short = prog_values.short
    assert summary(short["bigSlice"]) == "[]int len: 10000, cap: 10000, [...]"
    assert summary(short["carol"]) == f"(*main.Person)({short['carol'].children[0].addr:#x})"
    for name in NAMES:
        assert len(summary(v[name], width=40)) <= 40


@real
async def test_real_truncation_and_children(prog_values):
    v, short = prog_values.long, prog_values.short
    assert is_truncated(v["bigSlice"]) and is_truncated(v["longString"]) and is_truncated(v["m"])
    assert not is_truncated(v["mis"]) and not is_truncated(v["arr"]) and not is_truncated(v["anInt"])
    assert is_truncated(short["carol"]) and has_children(short["carol"])
    assert not has_children(v["nilPerson"]) and not has_children(v["anInt"]) and not has_children(v["aString"])
    assert [label for label, _ in children_of(v["mis"])] == ["1", "2", "3"]
    assert [label for label, _ in children_of(v["bob"])] == ["Name", "Age", "Next"]
    assert children_of(v["anything"])[0][0] == "main.Point"
    assert children_of(v["err"])[0][0] == "*fmt.wrapError"
    assert len(children_of(v["m"])) == 64 and all(re.fullmatch(r'"key\d{3}"', k) for k, _ in children_of(v["m"]))


@real
async def test_real_pages_reach_exactly_the_next_elements(prog_values):
    s, big = prog_values.session, prog_values.long["bigSlice"]
    expr = more_expr(big, "bigSlice", 1)
    assert expr.startswith('(*(*"[]int")(0x')
    page = await s.eval(expr, LONG_LOAD)
    assert page.len == 10000 - 64
    assert [int(c.value) for c in page.children] == [i * i for i in range(64, 128)]
    page3 = await s.eval(more_expr(big, "bigSlice", 3), LONG_LOAD)
    assert int(page3.children[0].value) == 192 * 192
    assert more_expr(big, "bigSlice", 10000 // 64 + 1) is None

    tail = await s.eval("bigSlice[9990:]", LONG_LOAD)
    assert tail.addr == 0 and not is_truncated(tail)
    mid = await s.eval("bigSlice[10:]", LONG_LOAD)
    assert more_expr(mid, "bigSlice[10:]", 1) == "bigSlice[10:][64:]"
    assert int((await s.eval(more_expr(mid, "bigSlice[10:]", 1), LONG_LOAD)).children[0].value) == 74 * 74

    text = prog_values.long["longString"]
    rest = await s.eval(more_expr(text, "longString", 1), LONG_LOAD)
    assert rest.len == 5000 - 64 and rest.value == ("abcdefghij" * 14)[4:68]

    m = prog_values.long["m"]
    first = {k: int(val.value) for k, val in children_of(m)}
    second_var = await s.eval(more_expr(m, "m", 1), LONG_LOAD)
    second = {k: int(val.value) for k, val in children_of(second_var)}
    assert len(first) == 64 and len(second) == 36 and not first.keys() & second.keys()
    assert {**first, **second} == {f'"key{i:03d}"': i for i in range(100)}
    assert more_expr(m, "m", 2) is None


@real
async def test_real_reload_and_child_expressions_name_the_right_values(prog_values):
    s, v, short = prog_values.session, prog_values.long, prog_values.short
    carol = await s.eval(reload_expr(short["carol"], "carol"), LONG_LOAD)
    assert summary(carol, width=0) == '*main.Person {Name: "Carol", Age: 29, Next: *main.Person nil}'
    pointee = short["carol"].children[0]
    assert reload_expr(pointee, "*carol") == f'*(*"main.Person")({pointee.addr:#x})'
    assert summary(await s.eval(reload_expr(pointee, "*carol"), LONG_LOAD)) == 'main.Person {Name: "Carol", Age: 29, Next: *main.Person nil}'

    inner = next(c for c in v["nested"].children if c.name == "Inner")
    point = next(c for c in inner.children if c.name == "P")
    assert is_truncated(point) and not point.children
    loaded = await s.eval(reload_expr(point, "nested.Inner.P"), LONG_LOAD)
    assert summary(loaded) == "main.Point {X: 3, Y: 4}"

    async def value_of(parent_expr: str, parent: Variable, label: str) -> str:
        child = dict(children_of(parent))[label]
        return summary(await s.eval(child_expr(parent_expr, parent, label, child), LONG_LOAD), width=0)

    assert await value_of("bob", v["bob"], "Age") == "42"
    assert await value_of("arr", v["arr"], "[2]") == "30"
    some_key = children_of(v["m"])[5][0]  # which 64 keys load first depends on the map's hash seed
    assert await value_of("m", v["m"], some_key) == str(int(re.search(r"\d+", some_key).group()))
    assert await value_of("mis", v["mis"], "2") == '"two"'
    assert await value_of("anything", v["anything"], "main.Point") == "main.Point {X: 1, Y: 2}"
    ring_ptr = v["ring"]
    assert await value_of("ring", ring_ptr, "*") == summary(ring_ptr.children[0], width=0)


@real
async def test_format_value_prints_what_the_dlv_terminal_prints(prog_values, dlv_path):
    """Run the real `dlv connect` terminal against the same server and compare `print` outputs."""
    s = prog_values.session
    exprs = ["bob", "ring", "err", "anything", "m", "mis", "nested", "bigSlice", "longString", "arr", "nilPerson", "&anInt", "ch", "1+2i", "main.compute"]
    formats = ["%x anInt", "%x nested", "%08b arr", "%q aString", "%x aFloat", "%v aBool"]
    script = "".join(f"print {e}\n" for e in exprs + formats).encode()
    proc = await asyncio.create_subprocess_exec(
        str(dlv_path), "connect", s.server.address, "--allow-non-terminal-interactive=true",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(script), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    printed = [chunk.rstrip("\n").split("\n\nGoroutines waiting")[0] for chunk in out.decode().split("(dlv) ")[1:]]
    assert len(printed) >= len(exprs) + len(formats), out.decode()
    for text, line in zip(printed, exprs + formats):
        fmt, _, expr = line.partition(" ") if line.startswith("%") else ("", "", line)
        ours = format_value(await s.eval(expr, LONG_LOAD), fmt=fmt)
        assert ours == text, f"print {line}"
    assert (await s.eval("anInt", LONG_LOAD)).value == "42"
