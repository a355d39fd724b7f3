"""dlv's own config.yml: the settings godbg-tui honours, so a Delve user's setup carries over.

Read from where dlv reads it: ``$XDG_CONFIG_HOME/dlv/config.yml``, else
``~/.config/dlv/config.yml`` (Linux), else the pre-XDG ``~/.dlv/config.yml``. Honoured keys:
``substitute-path`` (``[{from: …, to: …}]``, Delve's direction), ``aliases``
(``command: [alias, …]``), ``max-string-len``, ``max-array-values``,
``max-variable-recurse``, ``source-list-line-count``; every other key is skipped unread.

The YAML is read by a small parser for the subset dlv writes and people hand-edit: block
and flow mappings and sequences, plain and quoted scalars, comments. Anchors, tags,
block scalars and multiple documents are refused with the line they are on — but only
inside the keys above, so an exotic ``prompt:`` never stops the rest from loading.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

from .pathmap import Rule

HONOURED_KEYS = (
    "substitute-path",
    "aliases",
    "max-string-len",
    "max-array-values",
    "max-variable-recurse",
    "source-list-line-count",
)


class DlvConfigError(Exception):
    """config.yml cannot be used; the message is ``path:line: what is wrong``."""

    def __init__(self, path: str, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}" if line else f"{path}: {message}")
        self.path = path
        self.line = line
        self.message = message


@dataclass(frozen=True)
class DlvConfig:
    """The honoured part of a config.yml; ``None`` limits mean "not set there"."""

    path: str | None = None
    substitute_path: tuple[Rule, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)
    max_string_len: int | None = None
    max_array_values: int | None = None
    max_variable_recurse: int | None = None
    source_list_line_count: int | None = None

    def usable_aliases(self, is_command: Callable[[str], bool]) -> tuple[dict[str, str], list[str]]:
        """(alias → command) for the commands godbg-tui has, and a warning per alias dropped."""
        usable, dropped = {}, []
        for alias, command in self.aliases.items():
            if is_command(command):
                usable[alias] = command
            else:
                dropped.append(f"{self.path}: alias {alias!r} ignored: godbg-tui has no {command!r} command")
        return usable, dropped


def dlv_config_path() -> str:
    """Where dlv looks for config.yml (the pre-XDG ``~/.dlv`` only if the new one is absent)."""
    home = os.path.expanduser("~")
    xdg = os.environ.get("XDG_CONFIG_HOME")
    path = os.path.join(xdg or os.path.join(home, ".config"), "dlv", "config.yml")
    old = os.path.join(home, ".dlv", "config.yml")
    if not os.path.exists(path) and os.path.exists(old):
        return old
    return path


def load_dlv_config(path: str | None = None) -> DlvConfig:
    """Read dlv's config.yml; a missing file is an empty config, a broken one raises DlvConfigError."""
    path = path or dlv_config_path()
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        return DlvConfig(path=path)
    except OSError as exc:
        raise DlvConfigError(path, 0, f"cannot read it: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DlvConfigError(path, line, "not UTF-8 text") from None
    return parse_dlv_config(text, path)


def parse_dlv_config(text: str, path: str = "config.yml") -> DlvConfig:
    top = _YamlSubset(text, path, top_level_keys=HONOURED_KEYS).document()
    if top is None:
        return DlvConfig(path=path)
    if not isinstance(top, _Map):
        raise DlvConfigError(path, getattr(top, "line", 1), "the file must be a mapping of settings (key: value)")

    def number(key: str) -> int | None:
        value = top.get(key)
        if value is None:
            return None
        if type(value) is not int or value < 0:
            raise DlvConfigError(path, top.key_lines[key], f"{key} must be a whole number ≥ 0, not {value!r}")
        return value

    return DlvConfig(
        path=path,
        substitute_path=tuple(_substitute_rules(top, path)),
        aliases=_aliases(top, path),
        max_string_len=number("max-string-len"),
        max_array_values=number("max-array-values"),
        max_variable_recurse=number("max-variable-recurse"),
        source_list_line_count=number("source-list-line-count"),
    )


def _substitute_rules(top: _Map, path: str) -> list[Rule]:
    entries = top.get("substitute-path")
    if entries is None:
        return []
    line = top.key_lines["substitute-path"]
    if not isinstance(entries, _Seq):
        raise DlvConfigError(path, line, "substitute-path must be a list of {from: PATH, to: PATH}")
    rules = []
    for index, entry in enumerate(entries):
        where = entries.item_lines[index]
        if not isinstance(entry, _Map):
            raise DlvConfigError(path, where, f"substitute-path entry {entry!r} is not a {{from: PATH, to: PATH}} mapping")
        sides = []
        for side in ("from", "to"):
            value = entry.get(side)
            if value is None:
                value = ""
            if not isinstance(value, str):
                raise DlvConfigError(path, entry.key_lines.get(side, where), f"substitute-path {side} must be a path, not {value!r}")
            sides.append(value)
        rules.append((sides[0], sides[1]))
    return rules


def _aliases(top: _Map, path: str) -> dict[str, str]:
    table = top.get("aliases")
    if table is None:
        return {}
    if not isinstance(table, _Map):
        raise DlvConfigError(path, top.key_lines["aliases"], 'aliases must map a command to its aliases: next: ["n2"]')
    by_alias: dict[str, str] = {}
    for command, names in table.items():
        line = table.key_lines[command]
        if names is None:
            continue
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise DlvConfigError(path, line, f"the aliases of {command} must be a list of names ([a, b]), not {names!r}")
        for name in names:
            if by_alias.get(name, command) != command:
                raise DlvConfigError(path, line, f"alias {name!r} is given to both {by_alias[name]} and {command}")
            by_alias[name] = command
    return by_alias


# ---------------------------------------------------------------------------------------------
# The YAML subset


class _Map(dict):
    """A mapping that remembers the line of each key, for error messages."""

    def __init__(self, line: int):
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}


class _Seq(list):
    def __init__(self, line: int):
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []


_UNSUPPORTED = {
    "&": "anchors (&name)",
    "*": "aliases (*name)",
    "!": "tags (!tag)",
    "|": "block scalars (|)",
    ">": "block scalars (>)",
    "%": "directives (%)",
    "@": "'@', which YAML reserves",
    "`": "'`', which YAML reserves",
    "?": "complex keys (?)",
}
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_ESCAPES = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f",
    "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0",
    "L": "\u2028", "P": "\u2029",
}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}


class _Line:
    __slots__ = ("number", "indent", "text")

    def __init__(self, number: int, indent: int, text: str):
        self.number = number
        self.indent = indent
        self.text = text


class _YamlSubset:
    def __init__(self, text: str, path: str, *, top_level_keys: tuple[str, ...] | None = None):
        self.path = path
        self.wanted = top_level_keys
        self.lines: list[_Line] = []
        for number, raw in enumerate(text.splitlines(), start=1):
            stripped = raw.lstrip(" ")
            if stripped.startswith("\t") and stripped.strip():
                self.lines.append(_Line(number, -1, stripped))  # reported if it is ever parsed
                continue
            content = _strip_comment(stripped).rstrip()
            if content:
                self.lines.append(_Line(number, len(raw) - len(stripped), content))
        if self.lines and self.lines[0].text == "---":
            self.lines.pop(0)
        for line in self.lines:
            if line.indent == 0 and line.text in ("---", "..."):
                self.fail(line.number, "only one YAML document is allowed (remove the '---' / '...' line)")

    def fail(self, line: int, message: str) -> NoReturn:
        raise DlvConfigError(self.path, line, message)

    def document(self) -> Any:
        if not self.lines:
            return None
        first = self.lines[0]
        if first.indent != 0:
            self.fail(first.number, "the first setting must start at the beginning of the line")
        value, index = self.block(0, 0, top=True)
        if index < len(self.lines):
            self.fail(self.lines[index].number, "unexpected text after the settings (check the indentation)")
        return value

    # -- block structure --

    def block(self, index: int, indent: int, *, top: bool = False) -> tuple[Any, int]:
        line = self.lines[index]
        if line.indent < 0:
            self.fail(line.number, "tabs are not allowed in YAML indentation; use spaces")
        if line.text == "-" or line.text.startswith("- "):
            return self.sequence(index, indent)
        if _split_key(line.text) is not None:
            return self.mapping(index, indent, top=top)
        value, consumed = self.inline(line.text, line.number, index)
        return value, self.after_inline(index + consumed, indent)

    def sequence(self, index: int, indent: int) -> tuple[_Seq, int]:
        seq = _Seq(self.lines[index].number)
        while index < len(self.lines):
            line = self.lines[index]
            if line.indent != indent or not (line.text == "-" or line.text.startswith("- ")):
                break
            rest = line.text[1:].lstrip(" ")
            seq.item_lines.append(line.number)
            if not rest:
                child = self.child_indent(index + 1, indent, allow_same_dash=False)
                if child is None:
                    seq.append(None)
                    index += 1
                else:
                    value, index = self.block(index + 1, child)
                    seq.append(value)
            elif (rest == "-" or rest.startswith("- ")) or _split_key(rest) is not None:
                column = indent + len(line.text) - len(rest)
                self.lines[index] = _Line(line.number, column, rest)
                value, index = self.block(index, column)
                seq.append(value)
            else:
                value, consumed = self.inline(rest, line.number, index)
                seq.append(value)
                index = self.after_inline(index + consumed, indent)
        return seq, index

    def mapping(self, index: int, indent: int, *, top: bool = False) -> tuple[_Map, int]:
        mapping = _Map(self.lines[index].number)
        while index < len(self.lines):
            line = self.lines[index]
            if line.indent != indent:
                if line.indent > indent:
                    self.fail(line.number, "unexpected indentation")
                break
            split = _split_key(line.text)
            if split is None:
                self.fail(line.number, f"expected 'key: value', found {line.text!r}")
            key_text, rest = split
            key = self.key(key_text, line.number)
            if key in mapping:
                self.fail(line.number, f"{key!r} is set twice (first on line {mapping.key_lines[key]})")
            mapping.key_lines[key] = line.number
            if top and self.wanted is not None and key not in self.wanted:
                mapping[key] = None
                index = self.skip_value(index + 1, indent)
                continue
            if rest:
                mapping[key], consumed = self.inline(rest, line.number, index)
                index = self.after_inline(index + consumed, indent)
            else:
                child = self.child_indent(index + 1, indent, allow_same_dash=True)
                if child is None:
                    mapping[key] = None
                    index += 1
                else:
                    mapping[key], index = self.block(index + 1, child)
        return mapping, index

    def child_indent(self, index: int, indent: int, *, allow_same_dash: bool) -> int | None:
        """Indentation of the nested block starting at ``index``, or None when there is none.
        A mapping's list may sit at the mapping's own indentation (``key:`` then ``- x``)."""
        if index >= len(self.lines):
            return None
        line = self.lines[index]
        if line.indent > indent or line.indent < 0:
            return line.indent
        if allow_same_dash and line.indent == indent and (line.text == "-" or line.text.startswith("- ")):
            return indent
        return None

    def skip_value(self, index: int, indent: int) -> int:
        while index < len(self.lines):
            line = self.lines[index]
            if line.indent == indent and not (line.text == "-" or line.text.startswith("- ")) and line.indent >= 0:
                break
            if 0 <= line.indent < indent:
                break
            index += 1
        return index

    def after_inline(self, index: int, indent: int) -> int:
        """The line after an inline value (``index`` is its last line); no nested block may follow."""
        index += 1
        if index < len(self.lines) and self.lines[index].indent > indent:
            self.fail(self.lines[index].number, "unexpected indentation (a value was already given on the line above)")
        return index

    # -- inline values --

    def key(self, text: str, line: int) -> Any:
        if text[0] in "\"'":
            value, end = _quoted(text, 0, self.path, line)
            if text[end:].strip():
                self.fail(line, f"unexpected text after the key {value!r}")
            return value
        if text[0] in "[{":
            self.fail(line, "collections cannot be keys")
        return _plain(text)

    def inline(self, text: str, line: int, index: int) -> tuple[Any, int]:
        """A scalar or flow collection, and how many following lines it continued on."""
        consumed = 0
        first = text[0]
        if first in _UNSUPPORTED:
            self.fail(line, f"{_UNSUPPORTED[first]} are not supported in config.yml by godbg-tui; write the value out")
        if first in "[{":
            while True:
                parser = _Flow(text, self.path, line)
                try:
                    value = parser.value()
                    parser.end()
                    return value, consumed
                except _Incomplete:
                    following = index + 1 + consumed
                    if following >= len(self.lines):
                        self.fail(line, f"unclosed {first!r}")
                    text += " " + self.lines[following].text
                    consumed += 1
        if first in "\"'":
            value, end = _quoted(text, 0, self.path, line)
            if text[end:].strip():
                self.fail(line, f"unexpected text after the quoted string: {text[end:].strip()!r}")
            return value, 0
        return _plain(text), 0


class _Incomplete(Exception):
    """A flow collection ran past the end of its text (it continues on the next line)."""


class _Flow:
    """Flow collections: ``[a, "b", {from: x, to: y}]``."""

    def __init__(self, text: str, path: str, line: int):
        self.text = text
        self.pos = 0
        self.path = path
        self.line = line

    def fail(self, message: str) -> NoReturn:
        raise DlvConfigError(self.path, self.line, message)

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] == " ":
            self.pos += 1

    def peek(self) -> str:
        self.skip_space()
        if self.pos >= len(self.text):
            raise _Incomplete
        return self.text[self.pos]

    def end(self) -> None:
        self.skip_space()
        if self.pos < len(self.text):
            self.fail(f"unexpected text after the value: {self.text[self.pos:]!r}")

    def value(self) -> Any:
        char = self.peek()
        if char == "[":
            return self.sequence()
        if char == "{":
            return self.mapping()
        if char in "\"'":
            value, self.pos = _quoted(self.text, self.pos, self.path, self.line)
            return value
        if char in _UNSUPPORTED:
            self.fail(f"{_UNSUPPORTED[char]} are not supported in config.yml by godbg-tui; write the value out")
        return _plain(self.plain())

    def plain(self) -> str:
        start = self.pos
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in ",[]{}":
                break
            if char == ":" and (self.pos + 1 == len(self.text) or self.text[self.pos + 1] in " ,[]{}"):
                break
            self.pos += 1
        return self.text[start : self.pos].strip()

    def sequence(self) -> _Seq:
        seq = _Seq(self.line)
        self.pos += 1
        while True:
            if self.peek() == "]":
                self.pos += 1
                return seq
            seq.append(self.value())
            seq.item_lines.append(self.line)
            char = self.peek()
            if char == ",":
                self.pos += 1
            elif char != "]":
                self.fail(f"expected ',' or ']' in a list, found {char!r}")

    def mapping(self) -> _Map:
        mapping = _Map(self.line)
        self.pos += 1
        while True:
            if self.peek() == "}":
                self.pos += 1
                return mapping
            key = self.value()
            if isinstance(key, (list, dict)):
                self.fail("collections cannot be keys")
            value = None
            if self.peek() == ":":
                self.pos += 1
                if self.peek() not in ",}":
                    value = self.value()
            if key in mapping:
                self.fail(f"{key!r} is set twice")
            mapping[key] = value
            mapping.key_lines[key] = self.line
            char = self.peek()
            if char == ",":
                self.pos += 1
            elif char != "}":
                self.fail(f"expected ',' or '}}' in a mapping, found {char!r}")


def _strip_comment(text: str) -> str:
    """``text`` without its ``# comment`` (a ``#`` at the start or after a blank, outside quotes)."""
    quote = ""
    i = 0
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\" and quote == '"':
                i += 1
            elif char == quote:
                if quote == "'" and text[i + 1 : i + 2] == "'":
                    i += 1
                else:
                    quote = ""
        elif char in "\"'" and (i == 0 or text[i - 1] in " :[{,-"):
            quote = char
        elif char == "#" and (i == 0 or text[i - 1] in " \t"):
            return text[:i]
        i += 1
    return text


def _split_key(text: str) -> tuple[str, str] | None:
    """``key: rest`` → (key, rest); None if the line is not a mapping entry."""
    if text[0] in "\"'":
        quote, i = text[0], 1
        while i < len(text):
            if text[i] == "\\" and quote == '"':
                i += 2
                continue
            if text[i] == quote:
                if quote == "'" and text[i + 1 : i + 2] == "'":
                    i += 2
                    continue
                break
            i += 1
        after = text[i + 1 :].lstrip(" ")
        if after.startswith(":") and (len(after) == 1 or after[1] == " "):
            return text[: i + 1], after[1:].strip()
        return None
    if text[0] in "[{#" or text[0] in _UNSUPPORTED or text == "-" or text.startswith("- "):
        return None
    colon = next((i for i, c in enumerate(text) if c == ":" and text[i + 1 : i + 2] in ("", " ")), None)
    if not colon:
        return None
    return text[:colon].rstrip(), text[colon + 1 :].strip()


def _plain(text: str) -> Any:
    """Resolve a plain scalar the way YAML's core schema does (null, bool, int, else string)."""
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if _INT.fullmatch(text):
        return int(text)
    if re.fullmatch(r"0x[0-9a-fA-F]+", text):
        return int(text, 16)
    if re.fullmatch(r"0o[0-7]+", text):
        return int(text[2:], 8)
    return text


def _quoted(text: str, start: int, path: str, line: int) -> tuple[str, int]:
    """A single- or double-quoted scalar at ``text[start]``: (value, index after it)."""
    quote = text[start]
    out = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == quote:
            if quote == "'" and text[i + 1 : i + 2] == "'":
                out.append("'")
                i += 2
                continue
            return "".join(out), i + 1
        if char == "\\" and quote == '"':
            code = text[i + 1 : i + 2]
            if code in _ESCAPES:
                out.append(_ESCAPES[code])
                i += 2
                continue
            if code in _HEX_ESCAPES:
                digits = text[i + 2 : i + 2 + _HEX_ESCAPES[code]]
                if len(digits) == _HEX_ESCAPES[code] and all(c in "0123456789abcdefABCDEF" for c in digits):
                    out.append(chr(int(digits, 16)))
                    i += 2 + len(digits)
                    continue
            raise DlvConfigError(path, line, f"unknown escape \\{code} in a double-quoted string")
        out.append(char)
        i += 1
    raise DlvConfigError(path, line, "unterminated quoted string (strings spanning lines are not supported)")
