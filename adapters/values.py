"""How a Delve ``Variable`` reads as text, and how to name or load the rest of it.

Pure functions, no I/O: the ``print`` command and the variables tree share them.

* ``format_value`` is dlv's own ``print`` output (service/api/prettyprint.go,
  ``StringWithOptions(…, PrettyNewlines)``), quirks included, so users who know
  the dlv terminal read exactly what they expect.
* ``summary`` is the one-line form (``SinglelineString``) fitted to a width: a
  composite shows the elements that fit, then ``...+N more``.
* The paging helpers implement Documentation/api/ClientHowto.md "Loading more
  of a Variable": which values are incomplete, and which expression loads the
  next page or the part cut off by the recursion limit.
"""

from __future__ import annotations

import base64
import math
import re
from decimal import Decimal
from collections.abc import Callable, Sequence
from typing import TypeVar

from .dlv.types import (
    FLAG_FAKE_ADDRESS,
    FLAG_SHADOWED,
    KIND_ARRAY,
    KIND_BOOL,
    KIND_CHAN,
    KIND_COMPLEX64,
    KIND_COMPLEX128,
    KIND_FUNC,
    KIND_INTERFACE,
    KIND_MAP,
    KIND_PTR,
    KIND_SLICE,
    KIND_STRING,
    KIND_STRUCT,
    KIND_UNSAFE_POINTER,
    Variable,
)

__all__ = [
    "summary",
    "format_value",
    "is_truncated",
    "has_children",
    "children_of",
    "more_expr",
    "reload_expr",
    "child_expr",
    "is_shadowed",
    "is_fake_address",
    "address_usable",
    "go_quote",
    "go_sprintf",
    "FormatError",
]

T = TypeVar("T")

KIND_NAMES = (
    "invalid bool int int8 int16 int32 int64 uint uint8 uint16 uint32 uint64 uintptr "
    "float32 float64 complex64 complex128 array chan func interface map ptr slice string "
    "struct unsafe.Pointer"
).split()
SIGNED_KINDS = frozenset(range(2, 7))
UNSIGNED_KINDS = frozenset(range(7, 13))
INTEGER_KINDS = SIGNED_KINDS | UNSIGNED_KINDS
FLOAT_KINDS = frozenset((13, 14))
COMPLEX_KINDS = frozenset((KIND_COMPLEX64, KIND_COMPLEX128))
COMPOSITE_KINDS = frozenset((KIND_SLICE, KIND_ARRAY, KIND_STRUCT, KIND_MAP, KIND_INTERFACE))
# A string this long makes dlv print the enclosing array/struct on several lines.
MAX_SHORT_STRING_LEN = 7
INDENT = "\t"
MORE = "...+{} more"


class FormatError(ValueError):
    """A ``%verb`` format string that cannot be used."""


# ----- Go quoting and fmt verbs -----

_NAMED_ESCAPES = {7: r"\a", 8: r"\b", 12: r"\f", 10: r"\n", 13: r"\r", 9: r"\t", 11: r"\v", 92: "\\\\"}


def _is_go_printable(ch: str) -> bool:
    return ch == " " or (ch.isprintable() and not ch.isspace())


def go_quote(data: str | bytes, quote: str = '"') -> str:
    """strconv.Quote: Go escapes; bytes that are not UTF-8 become ``\\xNN``."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    out = [quote]
    i = 0
    while i < len(raw):
        b = raw[i]
        if b < 0x80:
            ch = chr(b)
            if ch == quote:
                out.append("\\" + quote)
            elif b in _NAMED_ESCAPES:
                out.append(_NAMED_ESCAPES[b])
            elif 0x20 <= b < 0x7F:
                out.append(ch)
            else:
                out.append(f"\\x{b:02x}")
            i += 1
            continue
        size = 2 if b >= 0xC0 else 1
        size = 3 if b >= 0xE0 else size
        size = 4 if b >= 0xF0 else size
        try:
            ch = raw[i : i + size].decode("utf-8") if size > 1 else ""
        except UnicodeDecodeError:
            ch = ""
        if not ch:
            out.append(f"\\x{b:02x}")
            i += 1
            continue
        if _is_go_printable(ch):
            out.append(ch)
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
        i += size
    out.append(quote)
    return "".join(out)


_VERB_RE = re.compile(r"%([-+# 0]*)(\d+)?(?:\.(\d*))?([a-zA-Z%])")


def go_sprintf(fmtstr: str, value: bool | int | float | complex | str | bytes, *, unsigned: bool = False) -> str:
    """fmt.Sprintf(fmtstr, value) for Go's basic types, as dlv's ``print %fmt`` applies it.

    ``unsigned`` marks an integer that came from a Go unsigned type (it changes
    nothing but the ``%!verb(uint=…)`` error text). Raises FormatError when
    ``fmtstr`` holds no verb at all.
    """
    out: list[str] = []
    pos = 0
    used = False
    for m in _VERB_RE.finditer(fmtstr):
        out.append(fmtstr[pos : m.start()])
        pos = m.end()
        flags, width, prec, verb = m.group(1), m.group(2), m.group(3), m.group(4)
        if verb == "%":
            out.append("%")
            continue
        if used:
            out.append(f"%!{verb}(MISSING)")
            continue
        used = True
        spec = _Spec(flags, int(width) if width else None, None if prec is None else int(prec or 0))
        out.append(_format_one(spec, verb, value, unsigned))
    out.append(fmtstr[pos:])
    if not used:
        raise FormatError(f"format {fmtstr!r} has no verb: use one like %d, %x, %q or %v")
    return "".join(out)


class _Spec:
    __slots__ = ("minus", "plus", "sharp", "space", "zero", "width", "prec")

    def __init__(self, flags: str, width: int | None, prec: int | None):
        self.minus = "-" in flags
        self.plus = "+" in flags
        self.sharp = "#" in flags
        self.space = " " in flags
        self.zero = "0" in flags and "-" not in flags
        self.width = width
        self.prec = prec

    def pad(self, body: str, *, numeric: bool = False) -> str:
        if self.width is None or len(body) >= self.width:
            return body
        fill = self.width - len(body)
        if self.minus:
            return body + " " * fill
        if self.zero and numeric:
            sign = body[0] if body[:1] in ("-", "+", " ") else ""
            rest = body[len(sign) :]
            prefix = ""
            for p in ("0x", "0X", "0b", "0o"):
                if rest.startswith(p):
                    prefix, rest = p, rest[2:]
                    break
            return sign + prefix + "0" * fill + rest
        return " " * fill + body


def _go_type_name(value: object, unsigned: bool) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "uint64" if unsigned else "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, complex):
        return "complex128"
    return "string"


def _bad_verb(verb: str, value: object, unsigned: bool) -> str:
    shown = _format_one(_Spec("", None, None), "v", value, unsigned)
    return f"%!{verb}({_go_type_name(value, unsigned)}={shown})"


def _format_one(spec: _Spec, verb: str, value: object, unsigned: bool) -> str:
    if isinstance(value, bool):
        if verb in "tv":
            return spec.pad("true" if value else "false")
        return _bad_verb(verb, value, unsigned)
    if isinstance(value, int):
        return _format_int(spec, verb, value, unsigned)
    if isinstance(value, float):
        return _format_float(spec, verb, value)
    if isinstance(value, complex):
        if verb not in "vbeEfFgGxX":
            return _bad_verb(verb, value, unsigned)
        real = _format_float(_Spec("+" if spec.plus else "", None, spec.prec), verb, value.real)
        imag = _format_float(_Spec("+", None, spec.prec), verb, value.imag)
        return spec.pad(f"({real}{imag}i)")
    if isinstance(value, (str, bytes)):
        return _format_string(spec, verb, value)
    return _bad_verb(verb, value, unsigned)


def _format_int(spec: _Spec, verb: str, n: int, unsigned: bool) -> str:
    if verb == "c":
        return spec.pad(chr(n) if 0 <= n <= 0x10FFFF else "\ufffd")
    if verb == "q":
        return spec.pad(go_quote(chr(n) if 0 <= n <= 0x10FFFF else "\ufffd", "'"))
    if verb == "U":
        return spec.pad(f"U+{n:04X}")
    bases = {"d": 10, "v": 10, "b": 2, "o": 8, "O": 8, "x": 16, "X": 16}
    if verb not in bases:
        return _bad_verb(verb, n, unsigned)
    digits = {2: "b", 8: "o", 10: "d", 16: "x"}[bases[verb]]
    body = format(abs(n), digits)
    if verb == "X":
        body = body.upper()
    if spec.prec is not None:
        body = body.zfill(spec.prec) if spec.prec else ("" if n == 0 else body)
    if verb == "O":
        body = "0o" + body
    elif spec.sharp:
        body = {"b": "0b", "o": "0", "x": "0x", "X": "0X"}.get(verb, "") + body
    sign = "-" if n < 0 else ("+" if spec.plus else (" " if spec.space else ""))
    return spec.pad(sign + body, numeric=spec.prec is None)


def _shortest_float(x: float) -> str:
    """Go's %v / %g without precision: shortest digits, exponent form when exp < -4 or exp >= 6."""
    neg = "-" if x < 0 else ""
    number = Decimal(repr(abs(x)))
    if number == 0:
        return "0"
    _, digit_tuple, exp = number.normalize().as_tuple()
    text = "".join(map(str, digit_tuple))
    point = len(text) + int(exp)
    e = point - 1
    if e < -4 or e >= 6:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{neg}{mantissa}e{'-' if e < 0 else '+'}{abs(e):02d}"
    if point <= 0:
        return f"{neg}0.{'0' * -point}{text}"
    if point >= len(text):
        return neg + text + "0" * (point - len(text))
    return f"{neg}{text[:point]}.{text[point:]}"


def _format_float(spec: _Spec, verb: str, x: float) -> str:
    if verb not in "vbeEfFgGxX":
        return _bad_verb(verb, x, False)
    if math.isnan(x) or math.isinf(x):
        return spec.pad("NaN" if math.isnan(x) else ("+Inf" if x > 0 else "-Inf"))
    if verb in "vgG" and spec.prec is None:
        body = _shortest_float(x)
        body = body.upper() if verb == "G" else body
    elif verb in "eEfFgG":
        prec = 6 if spec.prec is None else spec.prec
        body = format(x, f".{prec}{'f' if verb == 'F' else verb}")
    elif verb in "xX":
        mantissa, _, exp = float.hex(x).partition("p")
        if "." in mantissa:
            mantissa = mantissa.rstrip("0").rstrip(".")
        e = int(exp)
        body = f"{mantissa}p{'-' if e < 0 else '+'}{abs(e):02d}"
        body = body.upper() if verb == "X" else body
    elif x == 0:
        body = "0p-1074"
    else:
        mant, e = math.frexp(x)
        body = f"{int(mant * 2**53)}p{e - 53:+d}"
    if spec.plus and not body.startswith("-"):
        body = "+" + body
    elif spec.space and not body.startswith("-"):
        body = " " + body
    return spec.pad(body, numeric=True)


def _format_string(spec: _Spec, verb: str, s: str | bytes) -> str:
    raw = s.encode("utf-8", "surrogatepass") if isinstance(s, str) else s
    text = raw.decode("utf-8", "replace")
    if spec.prec is not None and verb in "sqv":
        text = text[: spec.prec]
        raw = text.encode()
    if verb in "sv":
        return spec.pad(text)
    if verb == "q":
        if spec.sharp and "`" not in text and all(_is_go_printable(c) or c == "\t" for c in text):
            return spec.pad(f"`{text}`")
        return spec.pad(go_quote(raw))
    if verb in "xX":
        hexed = raw.hex()
        if spec.space:
            parts = [raw[i : i + 1].hex() for i in range(len(raw))]
            if spec.sharp:
                parts = ["0x" + p for p in parts]
            hexed = " ".join(parts)
        elif spec.sharp:
            hexed = "0x" + hexed
        return spec.pad(hexed.upper() if verb == "X" else hexed)
    return _bad_verb(verb, text, False)


# ----- value of a basic Variable as a Python value -----


def _int_text(value: str) -> str:
    """dlv's ExtractIntValue: ``"Name (5)"`` (a named constant) → ``"5"``."""
    if value.endswith(")") and "(" in value:
        return value[value.rindex("(") + 1 : -1]
    return value


def _string_bytes(v: Variable) -> bytes:
    """The loaded bytes of a string (exact even when they are not valid UTF-8)."""
    if v.StringValueBytes:
        try:
            return base64.b64decode(v.StringValueBytes)
        except ValueError:
            pass
    return v.value.encode("utf-8", "surrogatepass")


def _basic_value(v: Variable) -> bool | int | float | complex | bytes | None:
    try:
        if v.kind == KIND_BOOL:
            return v.value == "true"
        if v.kind in INTEGER_KINDS:
            return int(_int_text(v.value), 0)
        if v.kind in FLOAT_KINDS:
            return float(v.value.replace("+Inf", "inf").replace("-Inf", "-inf").replace("NaN", "nan"))
        if v.kind in COMPLEX_KINDS:
            kids = v.children or []
            return complex(float(kids[0].value), float(kids[1].value))
        if v.kind == KIND_STRING:
            return _string_bytes(v)
    except (ValueError, IndexError):
        return None
    return None


BasicFormatter = Callable[[Variable], "str | None"]


def _fmt_from(fmtstr: str) -> BasicFormatter | None:
    if not fmtstr:
        return None

    def apply(v: Variable) -> str | None:
        value = _basic_value(v)
        if value is None:
            return None
        return go_sprintf(fmtstr, value, unsigned=v.kind in UNSIGNED_KINDS)

    return apply


def _hex_ints(v: Variable) -> str | None:
    if v.kind not in INTEGER_KINDS:
        return None
    value = _basic_value(v)
    return None if value is None else go_sprintf("%#x", value)


# ----- the printer (a port of prettyprint.go's writeTo) -----


class _Printer:
    """Renders one Variable. ``compact`` is the summary mode: clean separators, width budget."""

    def __init__(self, fmt: BasicFormatter | None, *, compact: bool = False):
        self.fmt = fmt
        self.compact = compact

    def write(
        self,
        v: Variable,
        *,
        top: bool = False,
        include_type: bool = False,
        newlines: bool = False,
        indent: str = "",
        budget: int | None = None,
    ) -> str:
        if v.unreadable:
            return f"(unreadable {v.unreadable})"
        if not top and v.addr == 0 and v.value == "":
            return f"{v.type} nil" if include_type and v.type != "void" else "nil"
        kind = v.kind
        kids = v.children or []
        if kind == KIND_SLICE:
            head = f"{v.type} len: {v.len}, cap: {v.cap}, " if include_type else ""
            if v.base == 0 and not kids:
                return head + "nil"
            return head + self._array(v, newlines, indent, _less(budget, head))
        if kind == KIND_ARRAY:
            head = f"{v.type} " if include_type else ""
            return head + self._array(v, newlines, indent, _less(budget, head))
        if kind == KIND_PTR:
            if not v.type or not kids:
                return "nil"
            if kids[0].onlyAddr and kids[0].addr != 0:
                return _pointer_to(v)
            head = _pointer_to(v) + "\n" if top and newlines and kids[0].addr != 0 else ""
            body = self.write(kids[0], include_type=include_type, newlines=newlines, indent=indent, budget=_less(budget, "*"))
            return head + "*" + body
        if kind == KIND_UNSAFE_POINTER:
            return f"unsafe.Pointer({kids[0].addr:#x})" if kids else "unsafe.Pointer(nil)"
        if kind == KIND_CHAN:
            if newlines:
                return self._struct(v, include_type, newlines, indent, budget)
            if len(kids) < 2:
                return f"{v.type} nil"
            return f"{v.type} {kids[0].value}/{kids[1].value}"
        if kind == KIND_STRUCT:
            head = ""
            if v.value:
                head = f"{v.type}({v.value})"
                include_type = False
            return head + self._struct(v, include_type, newlines, indent, _less(budget, head))
        if kind == KIND_INTERFACE:
            return self._interface(v, include_type, newlines, indent, budget)
        if kind == KIND_MAP:
            return self._map(v, include_type, newlines, indent, budget)
        if kind == KIND_FUNC:
            return self._func(v, newlines, indent)
        return self._basic(v, budget)

    def _interface(self, v: Variable, include_type: bool, newlines: bool, indent: str, budget: int | None) -> str:
        kids = v.children or []
        if v.addr == 0 or not kids:
            return "nil"
        data = kids[0]
        head = ""
        if include_type:
            if data.kind == 0:
                head = f"{v.type} "
                if data.addr == 0:
                    return head + "nil"
            else:
                head = f"{v.type}({data.type}) "
        if data.kind == KIND_PTR:
            inner = data.children or []
            if not inner:
                return head + "..."
            if inner[0].addr == 0:
                return head + "nil"
            if inner[0].onlyAddr:
                return head + f"0x{data.addr:x}"
        elif data.onlyAddr:
            return head + f"*(*{_type_for_expr(v.type)})({v.addr:#x})"
        body = self.write(data, include_type=not include_type, newlines=newlines, indent=indent, budget=_less(budget, head))
        return head + body

    def _func(self, v: Variable, newlines: bool, indent: str) -> str:
        if not v.value:
            return "nil"
        if not (newlines and v.children):
            return v.value
        lines = [v.value + " {"]
        for c in v.children or []:
            value = self.write(c, newlines=newlines, indent=indent + INDENT)
            lines.append(f"{indent}{INDENT}{c.name} {c.type} = {value}")
        lines.append(f"{indent}}}")
        return "\n".join(lines)

    def _basic(self, v: Variable, budget: int | None) -> str:
        if v.value == "" and v.kind != KIND_STRING:
            name = KIND_NAMES[v.kind] if 0 <= v.kind < len(KIND_NAMES) else str(v.kind)
            return f"(unknown {name})"
        if self.fmt is not None:
            formatted = self.fmt(v)
            if formatted is not None:
                return formatted
        if v.kind in COMPLEX_KINDS:
            kids = v.children or []
            if len(kids) == 2:
                return f"({kids[0].value} + {kids[1].value}i)"
            return v.value
        if v.kind == KIND_STRING:
            return self._string(v, budget)
        return v.value

    def _string(self, v: Variable, budget: int | None) -> str:
        data = _string_bytes(v)
        missing = v.len - len(data)
        quoted = go_quote(data + (MORE.format(missing).encode() if missing > 0 else b""))
        if budget is None or len(quoted) <= budget:
            return quoted
        text = data.decode("utf-8", "replace")
        keep = len(text)
        while keep > 0:
            keep = max(0, min(keep - 1, keep - (len(quoted) - budget)))
            part = text[:keep].encode()
            quoted = go_quote(part + MORE.format(v.len - len(part)).encode())
            if len(quoted) <= budget:
                break
        return quoted

    def _render_all(self, budget: int | None, items: Sequence[T], render: Callable[[T, int | None], str], sep: int) -> list[str]:
        """Render items in order, each given the room left; in summary mode stop once past the budget."""
        pieces: list[str] = []
        used = 2
        for item in items:
            piece = render(item, _remaining(budget, used) if self.compact else None)
            pieces.append(piece)
            used += len(piece) + sep
            if self.compact and budget is not None and used > budget:
                break
        return pieces

    def _fitting(self, budget: int | None, pieces: list[str], sep: int, total: int) -> list[str]:
        """The longest prefix of ``pieces`` that fits with its ``...+N more`` tail (summary mode)."""
        if budget is None or not self.compact:
            return pieces
        for k in range(len(pieces), -1, -1):
            length = 2 + sum(len(p) for p in pieces[:k]) + sep * max(0, k - 1)
            if total > k:
                length += (sep if k else 0) + len(MORE.format(total - k))
            if length <= budget:
                return pieces[:k]
        return []

    def _array(self, v: Variable, newlines: bool, indent: str, budget: int | None) -> str:
        kids = v.children or []
        nl = _should_newline_array(v, newlines)
        sub = indent + INDENT
        total = max(v.len, len(kids))
        pieces = self._render_all(
            budget, kids, lambda c, room: self.write(c, newlines=nl, indent=sub, budget=room), 1
        )
        parts = self._fitting(budget, pieces, 1, total)
        missing = total - len(parts)
        more = MORE.format(missing) if kids else "..."
        if nl:
            body = "".join(f"\n{sub}{p}," for p in parts)
            if missing:
                body += f"\n{sub}{more}"
            return f"[{body}\n{indent}]"
        body = ",".join(parts)
        if missing:
            body += ("," if parts else "") + more
        return f"[{body}]"

    def _struct(self, v: Variable, include_type: bool, newlines: bool, indent: str, budget: int | None) -> str:
        kids = v.children or []
        if v.len != len(kids) and not kids:
            return f"(*{_type_for_expr(v.type)})({v.addr:#x})"
        head = f"{v.type} " if include_type else ""
        budget = _less(budget, head)
        nl = _should_newline_struct(v, newlines)
        sub = indent + INDENT
        total = max(v.len, len(kids))

        def field(c: Variable, room: int | None) -> str:
            label = f"{c.name}: "
            return label + self.write(c, include_type=True, newlines=nl, indent=sub, budget=_less(room, label))

        parts = self._fitting(budget, self._render_all(budget, kids, field, 2), 2, total)
        missing = total - len(parts)
        if nl:
            body = "".join(f"\n{sub}{p}," for p in parts)
            if missing:
                body += f"\n{sub}{MORE.format(missing)}"
            return f"{head}{{{body}}}"
        body = ", ".join(parts)
        if missing:
            body += (", " if self.compact else ",") if parts else ""
            body += MORE.format(missing)
        return f"{head}{{{body}}}"

    def _map(self, v: Variable, include_type: bool, newlines: bool, indent: str, budget: int | None) -> str:
        kids = v.children or []
        head = f"{v.type} " if include_type else ""
        if v.base == 0 and not kids:
            return head + "nil"
        budget = _less(budget, head)
        nl = newlines and bool(kids)
        sub = indent + INDENT
        pairs = len(kids) // 2
        total = max(v.len, pairs)

        def entry(i: int, room: int | None) -> str:
            key = self.write(kids[2 * i], indent=sub, budget=room) + ": "
            return key + self.write(kids[2 * i + 1], newlines=nl, indent=sub, budget=_less(room, key))

        parts = self._fitting(budget, self._render_all(budget, range(pairs), entry, 2), 2, total)
        missing = total - len(parts)
        more = MORE.format(missing) if kids else "..."
        if self.compact:
            body = ", ".join(parts)
            if missing:
                body += (", " if parts else "") + more
            return f"{head}[{body}]"
        if nl:
            body = "".join(f"\n{sub}{p}, " for p in parts)
            if missing:
                body += f"\n{sub}{more}"
            return f"{head}[{body}\n{indent}]"
        body = "".join(f"{p}, " for p in parts)
        if missing:
            body += ("," if parts else "") + more
        return f"{head}[{body}]"


def _less(budget: int | None, prefix: str) -> int | None:
    return None if budget is None else max(0, budget - len(prefix))


def _remaining(budget: int | None, used: int) -> int | None:
    return None if budget is None else max(0, budget - used)


def _type_for_expr(type_name: str) -> str:
    """A type name as dlv writes it inside ``(*T)(addr)``: quoted when it has a package path."""
    return go_quote(type_name) if "/" in type_name else type_name


def _pointer_to(v: Variable) -> str:
    return f"({_type_for_expr(v.type)})({(v.children or [Variable()])[0].addr:#x})"


def _recursive_kind(v: Variable) -> tuple[int, bool]:
    has_ptr = False
    while v.kind == KIND_PTR:
        has_ptr = True
        if not v.children:
            return v.kind, has_ptr
        v = v.children[0]
    return v.kind, has_ptr


def _should_newline_array(v: Variable, newlines: bool) -> bool:
    kids = v.children or []
    if not newlines or not kids:
        return False
    kind, has_ptr = _recursive_kind(kids[0])
    if kind in COMPOSITE_KINDS:
        return True
    if kind == KIND_STRING:
        return has_ptr or any(len(c.value) > MAX_SHORT_STRING_LEN for c in kids)
    return False


def _should_newline_struct(v: Variable, newlines: bool) -> bool:
    kids = v.children or []
    if not newlines or not kids:
        return False
    for c in kids:
        kind, has_ptr = _recursive_kind(c)
        if kind in COMPOSITE_KINDS:
            return True
        if kind == KIND_STRING and (has_ptr or len(c.value) > MAX_SHORT_STRING_LEN):
            return True
    return False


# ----- public rendering -----


def _basic_formatter(hex: bool, fmt: str) -> BasicFormatter | None:
    if fmt:
        if not fmt.startswith("%"):
            raise FormatError(f"format {fmt!r} must start with %, like %x or %08b")
        go_sprintf(fmt, 0)
        return _fmt_from(fmt)
    return _hex_ints if hex else None


def summary(v: Variable, *, hex: bool = False, width: int = 120, fmt: str = "") -> str:
    """One line, as dlv prints a value inside ``locals``: type, then value.

    With ``width`` > 0 composites show only the elements that fit, followed by
    ``...+N more`` (N counts every element not shown, loaded or not), and the
    result never exceeds ``width`` characters. ``hex`` renders integers as
    ``0x1f``; ``fmt`` applies a Go verb to every basic value (see format_value).
    """
    printer = _Printer(_basic_formatter(hex, fmt), compact=True)
    budget = width if width and width > 0 else None
    text = printer.write(v, top=True, include_type=True, budget=budget)
    if budget is not None and len(text) > budget:
        text = text[: max(0, budget - 1)] + "…"
    return text


def format_value(v: Variable, *, hex: bool = False, fmt: str = "", indent: str = "") -> str:
    """dlv ``print``'s output for ``v``: composites with nested values across indented lines.

    ``fmt`` is print's optional Go format verb (``%x``, ``%08b``, ``%q`` …),
    applied to every basic value inside ``v``; ``hex`` is a shorthand that
    applies ``%#x`` to integers only. ``indent`` prefixes every line after the
    first (dlv indents returned values this way). Raises FormatError for a
    format with no verb.
    """
    printer = _Printer(_basic_formatter(hex, fmt))
    return printer.write(v, top=True, include_type=True, newlines=True, indent=indent)


# ----- structure and paging -----


def is_shadowed(v: Variable) -> bool:
    """Another variable of the same name hides this one in the current scope (dlv shows ``(name)``)."""
    return bool(v.flags & FLAG_SHADOWED)


def is_fake_address(v: Variable) -> bool:
    """The address is not real memory (a register or a computed value): never build ``*(*T)(addr)`` from it."""
    return bool(v.flags & FLAG_FAKE_ADDRESS)


def address_usable(v: Variable) -> bool:
    """``*(*"T")(addr)`` names this value from any frame."""
    return v.addr != 0 and not is_fake_address(v) and bool(v.type)


def _loaded_units(v: Variable) -> int:
    """How much of ``v`` was loaded, in the units its ``len`` counts."""
    if v.kind == KIND_STRING:
        return len(_string_bytes(v))
    if v.kind == KIND_MAP:
        return len(v.children or []) // 2
    return len(v.children or [])


def is_truncated(v: Variable) -> bool:
    """Delve left part of ``v`` unloaded (ClientHowto.md's completeness rules)."""
    if v.unreadable:
        return False
    kids = v.children or []
    if v.onlyAddr:
        return v.addr != 0
    if v.kind in (KIND_STRING, KIND_ARRAY, KIND_SLICE, KIND_STRUCT, KIND_MAP, KIND_CHAN):
        return v.len > _loaded_units(v)
    if v.kind == KIND_PTR:
        return len(kids) == 1 and kids[0].onlyAddr and kids[0].addr != 0
    if v.kind == KIND_INTERFACE:
        if len(kids) != 1:
            return False
        data = kids[0]
        if data.onlyAddr:
            return True
        inner = data.children or []
        return data.kind == KIND_PTR and len(inner) == 1 and inner[0].onlyAddr and inner[0].addr != 0
    return False


def _is_nil(v: Variable) -> bool:
    kids = v.children or []
    if v.kind == KIND_PTR:
        return not kids or kids[0].addr == 0
    if v.kind == KIND_INTERFACE:
        return not kids or (kids[0].kind == 0 and kids[0].addr == 0)
    if v.kind in (KIND_SLICE, KIND_MAP):
        return v.base == 0 and not kids
    if v.kind == KIND_CHAN:
        return not kids and v.base == 0
    if v.kind == KIND_FUNC:
        return not v.value
    return False


def has_children(v: Variable) -> bool:
    """Whether a tree node for ``v`` can expand (possibly after loading more)."""
    if v.unreadable or _is_nil(v):
        return False
    if v.onlyAddr:
        return v.addr != 0 and v.kind not in COMPLEX_KINDS
    if v.kind in (KIND_ARRAY, KIND_SLICE, KIND_MAP, KIND_STRUCT):
        return v.len > 0 or bool(v.children)
    if v.kind in (KIND_PTR, KIND_INTERFACE):
        return True
    if v.kind in (KIND_CHAN, KIND_FUNC):
        return bool(v.children) or v.len > 0
    return False


def _map_key_label(key: Variable) -> str:
    return _Printer(None, compact=True).write(key)


def children_of(v: Variable, *, start: int = 0) -> list[tuple[str, Variable]]:
    """The loaded children of ``v`` with the labels a tree shows.

    Elements are ``[i]`` (``start`` offsets the index, for a later page),
    struct fields and closure variables by name, map entries as ``key → value``
    with the key rendered like dlv (``"key007"``, ``1``), a pointer's target
    as ``*``, an interface's dynamic value by its concrete type.
    """
    if v.unreadable:
        return []
    kids = v.children or []
    if v.kind in (KIND_ARRAY, KIND_SLICE):
        return [(f"[{start + i}]", c) for i, c in enumerate(kids)]
    if v.kind == KIND_MAP:
        return [(_map_key_label(kids[i]), kids[i + 1]) for i in range(0, len(kids) - 1, 2)]
    if v.kind == KIND_PTR:
        return [] if _is_nil(v) else [("*", kids[0])]
    if v.kind == KIND_INTERFACE:
        if _is_nil(v):
            return []
        return [(kids[0].type or "data", kids[0])]
    if v.kind in (KIND_STRUCT, KIND_CHAN, KIND_FUNC):
        return [(c.name, c) for c in kids]
    return []


_SIMPLE_OPERAND = re.compile(r"[A-Za-z_][\w.]*(\[[^\[\]]*\]|\.\([^()]*\)|\.\w+)*")


def _operand(expr: str) -> str:
    """``expr`` safe to index, slice or select on: parenthesised unless it is a plain chain."""
    expr = expr.strip()
    if _SIMPLE_OPERAND.fullmatch(expr) or (expr.startswith("(") and _balanced_outer(expr)):
        return expr
    return f"({expr})"


def _balanced_outer(expr: str) -> bool:
    depth = 0
    for i, ch in enumerate(expr):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and i != len(expr) - 1:
            return False
    return depth == 0 and expr.endswith(")")


def _by_address(v: Variable) -> str:
    return f"*(*{go_quote(v.type)})({v.addr:#x})"


def more_expr(v: Variable, expr: str, page: int = 1) -> str | None:
    """An expression whose value is page ``page`` (1 = the one after what ``v`` holds) of ``v``.

    Pages are as large as what ``v`` holds (``len(children)``, map pairs, or
    string bytes), so evaluate the result with the load config ``v`` came
    from. Uses ``(*(*"T")(addr))[n:]`` when ``v`` has a real address, else
    re-slices ``expr`` (values computed by slicing have no address: pass the
    original expression). None when there is nothing past page ``page - 1``.
    A value that holds nothing yet gets ``[0:]``, which loads its first page.
    """
    if v.kind not in (KIND_ARRAY, KIND_SLICE, KIND_MAP, KIND_STRING) or v.unreadable:
        return None
    offset = max(1, page) * _loaded_units(v)
    if offset >= v.len:
        return None
    base = f"({_by_address(v)})" if address_usable(v) else _operand(expr)
    return f"{base}[{offset}:]"


def _needs_reload(v: Variable) -> bool:
    if v.onlyAddr:
        return True
    if v.kind in (KIND_STRUCT, KIND_ARRAY, KIND_SLICE, KIND_MAP, KIND_CHAN):
        return v.len > 0 and not v.children
    if v.kind in (KIND_PTR, KIND_INTERFACE):
        return is_truncated(v)
    return False


def reload_expr(v: Variable, expr: str) -> str:
    """The expression to evaluate to load ``v`` fully when a load limit cut it off, else ``expr``.

    A value cut off by the recursion limit (or a pointer whose target was not
    followed) is named by address, ``*(*"T")(addr)``, which works from any
    frame; without a usable address the original expression is the answer.
    """
    if _needs_reload(v) and address_usable(v):
        return _by_address(v)
    return expr


def child_expr(parent_expr: str, parent: Variable, label: str, child: Variable) -> str:
    """A Go expression naming ``child`` (as labelled by ``children_of``) of ``parent_expr``.

    ``x.Field``, ``x[3]``, ``x["key"]``, ``*x``, ``x.(data)`` (Delve's
    assertion to the dynamic type). Map entries whose key is not a literal and
    closure variables are named by address when they have one. For an element
    of a later page pass the original expression and the absolute ``[i]`` label.
    """
    base = _operand(parent_expr)
    kind = parent.kind
    if kind in (KIND_STRUCT, KIND_CHAN):
        return f"{base}.{label}"
    if kind in (KIND_ARRAY, KIND_SLICE):
        return f"{base}{label}"
    if kind == KIND_PTR:
        return f"*{base}"
    if kind == KIND_INTERFACE:
        return f"{base}.(data)"
    if kind == KIND_MAP:
        key = _map_key_for(parent, child)
        if key is not None:
            return f"{base}[{key}]"
    if address_usable(child):
        return _by_address(child)
    return f"{base}.{label}"


def _map_key_for(parent: Variable, value: Variable) -> str | None:
    """The Go literal of the key whose value is ``value``, when the key is a complete basic value."""
    kids = parent.children or []
    for i in range(1, len(kids), 2):
        if kids[i] is value:
            key = kids[i - 1]
            if key.kind == KIND_STRING and not is_truncated(key):
                return go_quote(_string_bytes(key))
            if key.kind in INTEGER_KINDS or key.kind in FLOAT_KINDS or key.kind == KIND_BOOL:
                return _int_text(key.value) if key.kind in INTEGER_KINDS else key.value
            return None
    return None
