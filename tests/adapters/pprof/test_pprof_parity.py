"""Our top table equals ``go tool pprof -top`` on real Go heap profiles, diffs included."""

from __future__ import annotations

import subprocess

import pytest

import gofixtures
from pprof_support import build_heapgen, heap_profile, our_top, pprof_top

from godbg_tui.adapters.pprof.profile import decode_profile
from godbg_tui.adapters.pprof.report import SAMPLE_TYPES, Granularity, diff_profile, top_table


@pytest.fixture(scope="module")
def profiles(tmp_path_factory):
    """A default-rate profile, a finer one, a second finer one and pprof's own diff of the two."""
    gen = build_heapgen()
    d = tmp_path_factory.mktemp("profiles")
    default = heap_profile(gen, d / "default.pb.gz", "-paths", "200")
    fine = heap_profile(gen, d / "fine.pb.gz", "-rate", "4096", "-paths", "300")
    fine2 = heap_profile(gen, d / "fine2.pb.gz", "-rate", "4096", "-paths", "300", "-seed", "2", "-keep", "2")
    diff = d / "diff.pb.gz"
    with open(diff, "wb") as out:
        subprocess.run(
            ["go", "tool", "pprof", "-proto", f"-diff_base={fine}", str(fine2)],
            stdout=out,
            stderr=subprocess.DEVNULL,
            check=True,
            timeout=600,
            env=gofixtures.go_env(),
        )
    return {"default": default, "fine": fine, "fine2": fine2, "diff": diff}


def _args(sample_type: str, granularity: Granularity) -> list[str]:
    return [f"-sample_index={sample_type}", *(["-lines"] if granularity is Granularity.LINE else [])]


@pytest.mark.parametrize("name", ["default", "fine", "diff"])
@pytest.mark.parametrize("granularity", list(Granularity))
def test_top_table_equals_pprof_top(profiles, name, granularity):
    profile = decode_profile(profiles[name].read_bytes())
    for sample_type in SAMPLE_TYPES:
        table = top_table(profile, sample_type, granularity)
        expected = pprof_top(*_args(sample_type, granularity), str(profiles[name]))
        assert expected, "go tool pprof printed no rows"
        assert our_top(table) == expected, f"{name} {sample_type} {granularity.value}"
        running = 0
        for row in table.rows:
            running += row.flat
            assert row.sum_pct == pytest.approx(abs(running / table.total) * 100)


def test_decoded_diff_profile_has_negative_values_and_base_samples(profiles):
    diff = decode_profile(profiles["diff"].read_bytes())
    assert any(diff.base) and not all(diff.base)
    assert min(diff.values[diff.sample_index("inuse_space")]) < 0
    table = top_table(diff, "inuse_space")
    assert any(r.flat < 0 for r in table.rows)


@pytest.mark.parametrize("granularity", list(Granularity))
def test_diff_profile_equals_pprof_diff_base(profiles, granularity):
    base = decode_profile(profiles["fine"].read_bytes())
    current = decode_profile(profiles["fine2"].read_bytes())
    diff = diff_profile(current, base)
    for sample_type in ("inuse_space", "alloc_objects"):
        expected = pprof_top(*_args(sample_type, granularity), f"-diff_base={profiles['fine']}", str(profiles["fine2"]))
        assert our_top(top_table(diff, sample_type, granularity)) == expected


def test_default_sample_type_is_inuse_space_and_deltas_are_keyed_by_name(profiles):
    base = decode_profile(profiles["fine"].read_bytes())
    current = decode_profile(profiles["fine2"].read_bytes())
    table = top_table(current, previous=base, baseline=current)
    assert table.sample_type == "inuse_space" and table.unit == "bytes"
    old = {r.key: r.flat for r in top_table(base).rows}
    for row in table.rows:
        assert row.delta_prev == row.flat - old.get(row.key, 0)
        assert row.delta_base == 0
