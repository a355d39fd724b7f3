"""gobinary against real Go builds (parity with `go version -m`) and against junk."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gofixtures
from godbg_tui.adapters.gobinary import BuildInfoCache, is_elf, is_main_package, read_build_info

MAGIC = b"\xff Go buildinf:"
SENTINEL = bytes(range(16))


def go_version_m(binary: Path) -> dict[str, object]:
    """`go version -m` parsed into the fields BuildInfo carries."""
    out = subprocess.run(
        ["go", "version", "-m", str(binary)], capture_output=True, text=True, check=True, env=gofixtures.go_env()
    ).stdout
    first, *rest = out.splitlines()
    parsed: dict[str, object] = {"go_version": first.rsplit(": ", 1)[1], "settings": []}
    for line in rest:
        kind, *fields = line.strip("\t").split("\t")
        if kind == "path":
            parsed["path"] = fields[0]
        elif kind == "mod":
            parsed["main_module"], parsed["main_version"] = fields[0], fields[1]
        elif kind == "build":
            key, _, value = fields[0].partition("=")
            parsed["settings"].append((key, value[1:-1] if value.startswith('"') else value))
    return parsed


@pytest.fixture(scope="module")
def stripped_prog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """prog built with -ldflags='-s -w': no symbols, no DWARF, build info intact."""
    out = tmp_path_factory.mktemp("stripped") / "prog-stripped"
    subprocess.run(
        ["go", "build", "-ldflags=-s -w", "-o", str(out), "."],
        cwd=gofixtures.source_dir("prog"),
        env=gofixtures.go_env(),
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out


@pytest.mark.parametrize("name", ["prog", "attachee"])
def test_fixture_binary_matches_go_version_m(go_bin, name: str) -> None:
    info = read_build_info(go_bin[name])
    expected = go_version_m(go_bin[name])
    assert info is not None
    assert info.go_version == expected["go_version"] == gofixtures.go_version().split()[2]
    assert info.path == expected["path"] == f"example.com/{name}"
    assert (info.main_module, info.main_version) == (expected["main_module"], expected["main_version"])
    assert list(info.settings) == expected["settings"]
    assert info.setting("-gcflags") == "all=-N -l"
    assert info.has_debug_info


def test_released_module_version_matches_go_version_m(dlv_path: Path) -> None:
    """dlv was installed with `go install …@v1.27.1`: a real tagged main-module version."""
    info = read_build_info(dlv_path)
    expected = go_version_m(dlv_path)
    assert info is not None
    assert (info.path, info.main_module, info.main_version) == (
        expected["path"],
        expected["main_module"],
        expected["main_version"],
    )
    assert info.main_version.startswith("v")


def test_stripped_build_keeps_build_info_but_has_no_dwarf(stripped_prog: Path) -> None:
    info = read_build_info(stripped_prog)
    assert info is not None
    assert info.go_version == go_version_m(stripped_prog)["go_version"]
    assert info.path == "example.com/prog"
    assert info.setting("-ldflags") == "-s -w"
    assert not info.has_debug_info


def test_binary_without_section_headers_is_found_through_the_data_segment(go_bin, tmp_path: Path) -> None:
    """Like sstrip: no section table, so the blob must be found by scanning the writable PT_LOAD."""
    data = bytearray(go_bin["prog"].read_bytes())
    # e_shoff (offset 40, 8 bytes), e_shnum (60) and e_shstrndx (62) of a 64-bit little-endian ELF.
    data[40:48] = bytes(8)
    data[60:64] = bytes(4)
    target = tmp_path / "no-sections"
    target.write_bytes(data)
    info = read_build_info(target)
    assert info is not None and info.go_version == read_build_info(go_bin["prog"]).go_version
    assert not info.has_debug_info


def test_non_go_elf_and_text_files_are_not_go_binaries(tmp_path: Path) -> None:
    true_bin = Path(shutil.which("true") or "/bin/true")
    assert is_elf(true_bin)
    assert read_build_info(true_bin) is None
    text = tmp_path / "notes.txt"
    text.write_text("package main\nfunc main() {}\n")
    assert not is_elf(text)
    assert read_build_info(text) is None
    assert read_build_info(tmp_path / "missing") is None
    assert read_build_info(tmp_path) is None


def make_elf(segments: list[tuple[int, int, bytes]], *, bits: int = 64, big_endian: bool = False) -> bytes:
    """A minimal ELF with only program headers: (vaddr, p_flags, contents) per PT_LOAD segment."""
    order = ">" if big_endian else "<"
    ident = b"\x7fELF" + bytes([1 if bits == 32 else 2, 2 if big_endian else 1, 1]) + bytes(9)
    if bits == 64:
        ehdr_fmt, phdr_fmt = order + "HHIQQQIHHHHHH", order + "IIQQQQQQ"
    else:
        ehdr_fmt, phdr_fmt = order + "HHIIIIIHHHHHH", order + "IIIIIIII"
    ehsize = 16 + struct.calcsize(ehdr_fmt)
    phentsize = struct.calcsize(phdr_fmt)
    offset = ehsize + phentsize * len(segments)
    phdrs, body = b"", b""
    for vaddr, flags, contents in segments:
        if bits == 64:
            phdrs += struct.pack(phdr_fmt, 1, flags, offset, vaddr, vaddr, len(contents), len(contents), 16)
        else:
            phdrs += struct.pack(phdr_fmt, 1, offset, vaddr, vaddr, len(contents), len(contents), flags, 16)
        body += contents
        offset += len(contents)
    ehdr = struct.pack(ehdr_fmt, 2, 62, 1, 0, ehsize, 0, 0, ehsize, phentsize, len(segments), 0, 0, 0)
    return ident + ehdr + phdrs + body


def modinfo(path: str) -> bytes:
    return SENTINEL + f"path\t{path}\nmod\t{path}\tv1.2.3\t\nbuild\tGOOS=linux\n".encode() + SENTINEL


def uvarint(n: int) -> bytes:
    out = b""
    while n >= 0x80:
        out += bytes([n & 0x7F | 0x80])
        n >>= 7
    return out + bytes([n])


def inline_blob(version: bytes, mod: bytes) -> bytes:
    header = MAGIC + bytes([8, 0x2]) + bytes(16)
    return header + uvarint(len(version)) + version + uvarint(len(mod)) + mod


def pointer_blob(base: int, version: bytes, mod: bytes, *, ptr_size: int, big_endian: bool) -> bytes:
    """The pre-1.18 layout: header pointers → Go string headers → bytes, all at ``base``."""
    ptr = (">" if big_endian else "<") + ("I" if ptr_size == 4 else "Q")
    header_len = 32
    vers_hdr = base + header_len
    mod_hdr = vers_hdr + 2 * ptr_size
    vers_data = mod_hdr + 2 * ptr_size
    mod_data = vers_data + len(version)
    header = MAGIC + bytes([ptr_size, 0x1 if big_endian else 0x0])
    header += struct.pack(ptr, vers_hdr) + struct.pack(ptr, mod_hdr)
    header = header.ljust(header_len, b"\0")
    strings = struct.pack(ptr, vers_data) + struct.pack(ptr, len(version))
    strings += struct.pack(ptr, mod_data) + struct.pack(ptr, len(mod))
    return header + strings + version + mod


@pytest.mark.parametrize(
    ("bits", "big_endian", "layout"),
    [(64, False, "inline"), (64, False, "pointer"), (32, True, "pointer"), (32, False, "pointer")],
)
def test_both_blob_layouts_decode(tmp_path: Path, bits: int, big_endian: bool, layout: str) -> None:
    base = 0x10000
    if layout == "inline":
        blob = inline_blob(b"go1.22.1", modinfo("example.com/old"))
    else:
        blob = pointer_blob(base, b"go1.17.13", modinfo("example.com/old"), ptr_size=bits // 8, big_endian=big_endian)
    code = (0x1000, 0x5, b"\x90" * 64)  # R+X: never searched
    data = (base, 0x6, blob)  # R+W: where the blob lives
    target = tmp_path / "synthetic"
    target.write_bytes(make_elf([code, data], bits=bits, big_endian=big_endian))
    info = read_build_info(target)
    assert info is not None
    assert info.go_version == ("go1.22.1" if layout == "inline" else "go1.17.13")
    assert (info.path, info.main_module, info.main_version) == ("example.com/old", "example.com/old", "v1.2.3")
    assert info.settings == (("GOOS", "linux"),)
    assert not info.has_debug_info


def test_misaligned_magic_is_skipped(tmp_path: Path) -> None:
    blob = inline_blob(b"go1.22.1", modinfo("example.com/aligned"))
    decoy = b"\0" * 3 + MAGIC + b"\0" * (32 - 3 - len(MAGIC) + 16)
    target = tmp_path / "decoy"
    target.write_bytes(make_elf([(0x10000, 0x6, decoy.ljust(48, b"\0") + blob)]))
    info = read_build_info(target)
    assert info is not None and info.path == "example.com/aligned"


def read_with_budget(path: Path) -> object:
    """read_build_info(path), failing if it takes over 2 s or allocates over 4 MB at peak."""
    started = time.monotonic()
    tracemalloc.start()
    try:
        result = read_build_info(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 2
    assert peak < 4 * 1024 * 1024, f"peak allocation {peak} bytes"
    return result


def test_lengths_that_claim_terabytes_cost_nothing(go_bin, tmp_path: Path) -> None:
    """Bogus sizes are clamped to the file: quick, and no allocation beyond a search chunk."""
    data = bytearray(go_bin["prog"].read_bytes())
    at = data.find(MAGIC)
    assert at >= 0 and data[at + 15] & 0x2
    data[at + 32 : at + 32 + 9] = b"\xff" * 8 + b"\x7f"  # version length ≈ 2**63
    target = tmp_path / "huge-length"
    target.write_bytes(data)
    assert read_with_budget(target) is None

    huge_segment = bytearray(make_elf([(0x10000, 0x6, b"\0" * 64)]))
    # p_filesz and p_memsz of the only program header (offset 64 + 32 and + 40).
    huge_segment[96:112] = struct.pack("<QQ", 1 << 62, 1 << 62)
    target.write_bytes(huge_segment)
    assert read_with_budget(target) is None


@pytest.fixture(scope="module")
def prog_bytes(go_bin) -> bytes:
    return go_bin["prog"].read_bytes()


def read_bytes_as_file(data: bytes):
    with tempfile.NamedTemporaryFile(prefix="gobinary-fuzz-") as f:
        f.write(data)
        f.flush()
        return read_build_info(f.name), is_elf(f.name)


FUZZ = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes_never_raise(data: bytes) -> None:
    info, _ = read_bytes_as_file(data)
    assert info is None


@FUZZ
@given(st.binary(min_size=0, max_size=512))
def test_random_elf_headers_never_raise(tail: bytes) -> None:
    for ident in (b"\x7fELF\x02\x01\x01", b"\x7fELF\x01\x02\x01"):
        read_bytes_as_file(ident + tail)


@FUZZ
@given(cut=st.floats(min_value=0, max_value=1))
def test_truncated_go_binaries_never_raise(prog_bytes: bytes, cut: float) -> None:
    info, _ = read_bytes_as_file(prog_bytes[: int(len(prog_bytes) * cut)])
    assert info is None or info.go_version.startswith("go")


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 4095), st.integers(0, 255)), min_size=1, max_size=16), st.booleans())
def test_corrupted_headers_and_blob_never_raise(prog_bytes: bytes, edits, in_blob: bool) -> None:
    """Random byte edits in the ELF/program/section headers or in the build-info blob."""
    data = bytearray(prog_bytes)
    base = data.find(MAGIC) if in_blob else 0
    for offset, value in edits:
        data[base + offset] = value
    read_bytes_as_file(bytes(data))


def test_cache_reads_each_file_identity_once(go_bin, tmp_path: Path) -> None:
    cache = BuildInfoCache()
    copy = tmp_path / "prog"
    shutil.copy2(go_bin["prog"], copy)
    first = cache.get(copy)
    assert first is not None and cache.get(copy) is first
    assert cache.reads == 1
    shutil.copyfile(go_bin["attachee"], copy)  # a rebuild in place: new mtime/size
    os.utime(copy, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert cache.get(copy).path == "example.com/attachee"
    assert cache.reads == 2
    assert cache.get(tmp_path / "missing") is None


def test_main_package_detection(fixture_src, tmp_path: Path) -> None:
    assert is_main_package(fixture_src["prog"])
    assert is_main_package(fixture_src["badbuild"])
    assert not is_main_package(fixture_src["testpkg"])
    assert not is_main_package(tmp_path)
    commented = tmp_path / "cmd"
    commented.mkdir()
    (commented / "main.go").write_text("// Copyright\n/* package lib */\n//go:build linux\n\npackage main\n")
    (commented / "x_test.go").write_text("package main_test\n")
    assert is_main_package(commented)
    library = tmp_path / "lib"
    library.mkdir()
    (library / "lib.go").write_text("package lib\n")
    (library / "gen.go").write_text("//go:build ignore\n\npackage main\n")
    assert not is_main_package(library)
