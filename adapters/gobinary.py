"""What a Go binary says about itself, read from the file without running it.

The pickers need to tell Go binaries from everything else, show which Go built
them, and warn before ``dlv exec`` on a binary whose DWARF was stripped. That
is three facts from an ELF file: is it ELF, does it carry Go's build-info blob
(``\\xff Go buildinf:``), does it have a ``.debug_info`` section.

The blob is decoded exactly as Go's ``debug/buildinfo`` does it (go1.26
``src/debug/buildinfo/buildinfo.go``): find the ``.go.buildinfo`` section, or
else the first writable, non-executable PT_LOAD segment; search it for the
16-byte-aligned magic; the 32-byte header holds the pointer size at offset 14
and flags at 15. Since Go 1.18 (``flags & 2``) the version and modinfo strings
follow the header inline, each prefixed by a uvarint length; before that the
header holds two pointers to Go string headers. The modinfo is framed by 16
sentinel bytes at each end and parsed like ``runtime/debug.ParseBuildInfo``.

Only ELF is understood (Delve on Linux debugs ELF). Every reader here returns
None or False on anything it cannot make sense of and never raises on a file's
contents: the process list and the file picker feed it whatever they find.
Reads are clamped to the file's real size, so a header that claims terabytes
costs nothing.
"""

from __future__ import annotations

import os
import re
import struct
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, TypeVar

T = TypeVar("T")

_ELF_MAGIC = b"\x7fELF"
_BUILDINFO_MAGIC = b"\xff Go buildinf:"
_BUILDINFO_ALIGN = 16
_BUILDINFO_HEADER_SIZE = 32
_SEARCH_CHUNK = 1 << 20
_MAX_VARINT_LEN = 10
_MAX_SECTION_NAMES = 1 << 20

_PT_LOAD = 1
_PF_X = 0x1
_PF_W = 0x2
_SHT_NOBITS = 8
_SHN_XINDEX = 0xFFFF
_DEBUG_INFO_SECTIONS = (b".debug_info", b".zdebug_info")


@dataclass(frozen=True)
class BuildInfo:
    """The build facts of one Go binary, as ``go version -m`` would print them.

    ``path`` is the main package's import path (``command-line-arguments``
    for ``go build file.go``); ``main_module``/``main_version`` are empty for
    binaries built outside module mode. ``settings`` are the ``build`` lines
    (``-gcflags``, ``GOOS``, ``vcs.revision`` …) in file order.
    """

    go_version: str
    path: str
    main_module: str
    main_version: str
    has_debug_info: bool
    settings: tuple[tuple[str, str], ...] = ()

    def setting(self, key: str) -> str | None:
        """The value of build setting ``key`` (e.g. ``-ldflags``), or None."""
        for name, value in self.settings:
            if name == key:
                return value
        return None


@dataclass(frozen=True)
class _Segment:
    vaddr: int
    offset: int
    filesz: int
    memsz: int
    type: int
    flags: int


@dataclass(frozen=True)
class _Section:
    name: bytes
    type: int
    addr: int
    size: int


class _ElfFile:
    """Just enough of an ELF reader for build info and DWARF presence."""

    def __init__(self, f: BinaryIO, size: int) -> None:
        self._f = f
        self._size = size
        self.is64 = True
        self.order = "<"
        self.segments: list[_Segment] = []
        self.sections: list[_Section] = []

    def read_at(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes at ``offset``, never past the end of the file."""
        if offset < 0 or length <= 0 or offset >= self._size:
            return b""
        self._f.seek(offset)
        return self._f.read(min(length, self._size - offset))

    @classmethod
    def parse(cls, f: BinaryIO, size: int) -> _ElfFile | None:
        elf = cls(f, size)
        ident = elf.read_at(0, 16)
        if len(ident) < 16 or not ident.startswith(_ELF_MAGIC):
            return None
        elf_class, data = ident[4], ident[5]
        if elf_class not in (1, 2) or data not in (1, 2):
            return None
        elf.is64 = elf_class == 2
        elf.order = "<" if data == 1 else ">"
        header_format = elf.order + ("HHIQQQIHHHHHH" if elf.is64 else "HHIIIIIHHHHHH")
        header = elf.read_at(16, struct.calcsize(header_format))
        if len(header) < struct.calcsize(header_format):
            return None
        (_, _, _, _, phoff, shoff, _, _, phentsize, phnum, shentsize, shnum, shstrndx) = struct.unpack(
            header_format, header
        )
        elf.segments = elf._read_segments(phoff, phentsize, phnum)
        elf.sections = elf._read_sections(shoff, shentsize, shnum, shstrndx)
        return elf

    def _table(self, offset: int, entsize: int, count: int, wanted: int) -> list[bytes]:
        """``count`` entries of ``entsize`` bytes at ``offset``; none if the table is implausible."""
        if offset == 0 or count == 0 or entsize < wanted or offset + entsize * count > self._size:
            return []
        raw = self.read_at(offset, entsize * count)
        return [raw[i * entsize : i * entsize + wanted] for i in range(count)]

    def _read_segments(self, phoff: int, phentsize: int, phnum: int) -> list[_Segment]:
        if self.is64:
            fmt = self.order + "IIQQQQQQ"
            entries = self._table(phoff, phentsize, phnum, struct.calcsize(fmt))
            unpacked = [struct.unpack(fmt, raw) for raw in entries]
            return [_Segment(vaddr, off, filesz, memsz, typ, flags) for typ, flags, off, vaddr, _, filesz, memsz, _ in unpacked]
        fmt = self.order + "IIIIIIII"
        entries = self._table(phoff, phentsize, phnum, struct.calcsize(fmt))
        unpacked = [struct.unpack(fmt, raw) for raw in entries]
        return [_Segment(vaddr, off, filesz, memsz, typ, flags) for typ, off, vaddr, _, filesz, memsz, flags, _ in unpacked]

    def _read_sections(self, shoff: int, shentsize: int, shnum: int, shstrndx: int) -> list[_Section]:
        fmt = self.order + ("IIQQQQIIQQ" if self.is64 else "IIIIIIIIII")
        wanted = struct.calcsize(fmt)
        if shoff and shnum == 0:
            # More than 0xff00 sections: the real count is in section 0's size.
            first = self._table(shoff, shentsize, 1, wanted)
            if not first:
                return []
            shnum = struct.unpack(fmt, first[0])[5]
        raw = [struct.unpack(fmt, entry) for entry in self._table(shoff, shentsize, shnum, wanted)]
        if not raw:
            return []
        if shstrndx == _SHN_XINDEX:
            shstrndx = raw[0][6]
        if shstrndx >= len(raw):
            return []
        names = self.read_at(raw[shstrndx][4], min(raw[shstrndx][5], _MAX_SECTION_NAMES))
        sections = []
        for name_off, typ, _, addr, _, size, *_ in raw:
            end = names.find(b"\0", name_off)
            name = names[name_off:end] if 0 <= name_off <= len(names) and end >= 0 else b""
            sections.append(_Section(name, typ, addr, size))
        return sections

    def has_debug_info(self) -> bool:
        return any(
            s.name in _DEBUG_INFO_SECTIONS and s.type != _SHT_NOBITS and s.size > 0 for s in self.sections
        )

    def data_start(self) -> tuple[int, int]:
        """Address and size of where the linker puts the build-info blob."""
        for section in self.sections:
            if section.name == b".go.buildinfo":
                return section.addr, section.size
        for segment in self.segments:
            if segment.type == _PT_LOAD and segment.flags & (_PF_X | _PF_W) == _PF_W:
                return segment.vaddr, segment.memsz
        return 0, 0

    def read_data(self, addr: int, length: int) -> bytes:
        """Up to ``length`` bytes at virtual address ``addr``, within the segment holding it."""
        for segment in self.segments:
            if segment.filesz and segment.vaddr <= addr <= segment.vaddr + segment.filesz - 1:
                remaining = segment.vaddr + segment.filesz - addr
                return self.read_at(segment.offset + addr - segment.vaddr, min(length, remaining))
        return b""


def _search_magic(elf: _ElfFile, start: int, size: int) -> int | None:
    end = start + size
    start = (start + _BUILDINFO_ALIGN - 1) & ~(_BUILDINFO_ALIGN - 1)
    while start < end:
        chunk = elf.read_data(start, min(_SEARCH_CHUNK, end - start))
        if not chunk:
            return None
        at = chunk.find(_BUILDINFO_MAGIC)
        while at >= 0:
            if end - (start + at) < _BUILDINFO_HEADER_SIZE:
                return None
            if at % _BUILDINFO_ALIGN == 0:
                return start + at
            at = chunk.find(_BUILDINFO_MAGIC, at + 1)
        start += _SEARCH_CHUNK
    return None


def _uvarint(data: bytes) -> tuple[int, int]:
    """(value, bytes used) like Go's binary.Uvarint; bytes used <= 0 on bad input."""
    value = shift = 0
    for i, byte in enumerate(data[:_MAX_VARINT_LEN]):
        if byte < 0x80:
            if i == _MAX_VARINT_LEN - 1 and byte > 1:
                return 0, -(i + 1)
            return value | byte << shift, i + 1
        value |= (byte & 0x7F) << shift
        shift += 7
    return 0, 0


def _decode_inline_string(elf: _ElfFile, addr: int) -> tuple[bytes, int] | None:
    prefix = elf.read_data(addr, _MAX_VARINT_LEN)
    length, used = _uvarint(prefix)
    if used <= 0:
        return None
    addr += used
    data = elf.read_data(addr, length)
    if len(data) < length:
        return None
    return data, addr + length


def _read_pointer_string(elf: _ElfFile, ptr_size: int, order: str, addr: int) -> bytes:
    fmt = order + ("I" if ptr_size == 4 else "Q")
    header = elf.read_data(addr, 2 * ptr_size)
    if len(header) < 2 * ptr_size:
        return b""
    data_addr = struct.unpack(fmt, header[:ptr_size])[0]
    data_len = struct.unpack(fmt, header[ptr_size:])[0]
    data = elf.read_data(data_addr, data_len)
    return data if len(data) >= data_len else b""


def _read_raw_build_info(elf: _ElfFile) -> tuple[str, str] | None:
    """(Go version, modinfo text) from the blob, or None when there is none."""
    data_addr, data_size = elf.data_start()
    if data_size == 0:
        return None
    addr = _search_magic(elf, data_addr, data_size)
    if addr is None:
        return None
    header = elf.read_data(addr, _BUILDINFO_HEADER_SIZE)
    if len(header) < _BUILDINFO_HEADER_SIZE:
        return None
    ptr_size, flags = header[14], header[15]
    if flags & 0x2:
        version = _decode_inline_string(elf, addr + _BUILDINFO_HEADER_SIZE)
        if version is None:
            return None
        modinfo = _decode_inline_string(elf, version[1])
        if modinfo is None:
            return None
        vers, mod = version[0], modinfo[0]
    else:
        if ptr_size not in (4, 8):
            return None
        order = ">" if flags & 0x1 else "<"
        fmt = order + ("I" if ptr_size == 4 else "Q")
        vers_ptr = struct.unpack(fmt, header[16 : 16 + ptr_size])[0]
        mod_ptr = struct.unpack(fmt, header[16 + ptr_size : 16 + 2 * ptr_size])[0]
        vers = _read_pointer_string(elf, ptr_size, order, vers_ptr)
        mod = _read_pointer_string(elf, ptr_size, order, mod_ptr)
    if not vers:
        return None
    if len(mod) >= 33 and mod[-17:-16] == b"\n":
        mod = mod[16:-16]
    else:
        mod = b""
    return vers.decode("utf-8", "replace"), mod.decode("utf-8", "replace")


def _parse_modinfo(modinfo: str) -> tuple[str, str, str, tuple[tuple[str, str], ...]]:
    """(path, main module, main version, build settings), tolerant of odd lines."""
    path = module = version = ""
    settings: list[tuple[str, str]] = []
    for line in modinfo.split("\n"):
        kind, _, rest = line.partition("\t")
        if kind == "path":
            path = rest
        elif kind == "mod":
            fields = rest.split("\t")
            module, version = fields[0], fields[1] if len(fields) > 1 else ""
        elif kind == "build":
            key, _, value = rest.partition("=")
            if len(value) >= 2 and value.startswith('"'):
                value = _unquote(value)
            settings.append((key, value))
    return path, module, version, tuple(settings)


_GO_QUOTED = re.compile(r'\\(["\\nt])')


def _unquote(value: str) -> str:
    """Undo strconv.Quote for the escapes build settings use (quotes, backslash, \\n, \\t)."""
    inner = value[1:-1] if value.endswith('"') else value[1:]
    return _GO_QUOTED.sub(lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), inner)


def _with_elf(path: str | os.PathLike[str], read: Callable[[_ElfFile], T]) -> T | None:
    """``read(elf)`` for the ELF file at ``path``; None if it is unreadable or not ELF."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            elf = _ElfFile.parse(f, size)
            return None if elf is None else read(elf)
    except (OSError, struct.error, ValueError, OverflowError):
        return None


def read_build_info(path: str | os.PathLike[str]) -> BuildInfo | None:
    """The build info of the Go ELF binary at ``path``; None for anything else.

    None means: unreadable, not ELF, or an ELF without a Go build-info blob
    (C programs, Go binaries too corrupt to decode).
    """

    def read(elf: _ElfFile) -> BuildInfo | None:
        raw = _read_raw_build_info(elf)
        if raw is None:
            return None
        go_version, modinfo = raw
        pkg_path, module, version, settings = _parse_modinfo(modinfo)
        return BuildInfo(go_version, pkg_path, module, version, elf.has_debug_info(), settings)

    return _with_elf(path, read)


def is_elf(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a readable ELF file with a well-formed identification header."""
    return bool(_with_elf(path, lambda elf: True))


class BuildInfoCache:
    """read_build_info, remembered per file identity (device, inode, mtime, size).

    A rebuilt binary gets a new mtime (and usually inode), so it is read again;
    an unchanged one costs one stat. Safe to share between threads; holds at
    most ``capacity`` entries, dropping the least recently used.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[tuple[int, int, int, int], BuildInfo | None] = OrderedDict()
        self._lock = threading.Lock()
        self.reads = 0

    def get(self, path: str | os.PathLike[str]) -> BuildInfo | None:
        """Build info of ``path`` (following symlinks, e.g. /proc/PID/exe); None if not Go."""
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            return None
        key = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        info = read_build_info(path)
        with self._lock:
            self.reads += 1
            self._entries[key] = info
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
        return info


_PACKAGE_CLAUSE = re.compile(
    rb"\A(?:\s|//[^\n]*\n|/\*.*?\*/)*package\s+([A-Za-z_][A-Za-z0-9_]*)", re.DOTALL
)
_PACKAGE_SCAN_BYTES = 16 * 1024


def is_main_package(directory: str | os.PathLike[str]) -> bool:
    """Whether ``directory`` holds a ``package main`` that ``dlv debug`` can build.

    Reads the package clause of each non-test ``.go`` file: all must say
    ``main``, so a library with a ``//go:build ignore`` generator in
    ``package main`` does not count. Build constraints are not evaluated.
    """
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return False
    found_main = False
    for entry in entries:
        if not entry.name.endswith(".go") or entry.name.endswith("_test.go"):
            continue
        try:
            if not entry.is_file():
                continue
            with open(entry.path, "rb") as f:
                head = f.read(_PACKAGE_SCAN_BYTES)
        except OSError:
            continue
        found = _PACKAGE_CLAUSE.match(head)
        if found is None:
            continue
        if found.group(1) != b"main":
            return False
        found_main = True
    return found_main
