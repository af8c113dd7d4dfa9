"""Our detectors flag exactly the indices River's do, on seeded streams and settings.

Reference: River 0.26 (``river.drift.ADWIN``, ``PageHinkley``, ``KSWIN``,
``river.drift.binary.DDM``, ``EDDM``) run on the same Python lists; equality is exact (the same
list of indices, and for DDM/EDDM the same warning indices).
"""

from __future__ import annotations

from typing import Any

import pytest
from river import drift
from river.drift import binary

from detectors.streams import BINARY_STREAMS, REAL_STREAMS, run
from driftpilot.detectors import ADWIN, DDM, EDDM, KSWIN, PageHinkley

SEEDS = [0, 1, 2]

ADWIN_SETTINGS: list[dict[str, Any]] = [
    {},
    {"clock": 1},
    {"delta": 0.1, "clock": 4, "max_buckets": 2, "min_window_length": 2, "grace_period": 0},
    {"delta": 1e-4, "clock": 8, "max_buckets": 3, "min_window_length": 10, "grace_period": 50},
]
PH_SETTINGS: list[dict[str, Any]] = [
    {},
    {"threshold": 10.0, "delta": 0.05},
    {"mode": "up", "threshold": 5.0, "alpha": 0.99, "min_instances": 1},
    {"mode": "down", "threshold": 20.0, "alpha": 1.0},
]
DDM_SETTINGS: list[dict[str, Any]] = [
    {},
    {"warm_start": 5, "warning_threshold": 1.5, "drift_threshold": 2.0},
    {"warm_start": 100, "warning_threshold": 2.5, "drift_threshold": 4.0},
]
EDDM_SETTINGS: list[dict[str, Any]] = [
    {},
    {"alpha": 0.8, "beta": 0.7, "warm_start": 10},
    {"alpha": 0.9, "beta": 0.9, "warm_start": 0},
]
KSWIN_SETTINGS: list[dict[str, Any]] = [
    {"seed": 7},
    {"seed": 1, "alpha": 0.01, "window_size": 60, "stat_size": 20},
    {"seed": 3, "alpha": 0.0001, "window_size": 150, "stat_size": 50},
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("stream_name", sorted(REAL_STREAMS))
@pytest.mark.parametrize("params", ADWIN_SETTINGS, ids=str)
def test_adwin_matches_river(params: dict[str, Any], stream_name: str, seed: int) -> None:
    stream = REAL_STREAMS[stream_name](seed)
    ours, theirs = ADWIN(**params), drift.ADWIN(**params)
    assert run(ours, stream) == run(theirs, stream)
    assert ours.width == theirs.width
    assert ours.estimation == theirs.estimation
    assert ours.variance == theirs.variance


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("stream_name", sorted(REAL_STREAMS))
@pytest.mark.parametrize("params", PH_SETTINGS, ids=str)
def test_page_hinkley_matches_river(params: dict[str, Any], stream_name: str, seed: int) -> None:
    stream = REAL_STREAMS[stream_name](seed)
    assert run(PageHinkley(**params), stream) == run(drift.PageHinkley(**params), stream)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("stream_name", sorted(BINARY_STREAMS))
@pytest.mark.parametrize("params", DDM_SETTINGS, ids=str)
def test_ddm_matches_river(params: dict[str, Any], stream_name: str, seed: int) -> None:
    stream = BINARY_STREAMS[stream_name](seed)
    assert run(DDM(**params), stream) == run(binary.DDM(**params), stream)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("stream_name", sorted(BINARY_STREAMS))
@pytest.mark.parametrize("params", EDDM_SETTINGS, ids=str)
def test_eddm_matches_river(params: dict[str, Any], stream_name: str, seed: int) -> None:
    stream = BINARY_STREAMS[stream_name](seed)
    assert run(EDDM(**params), stream) == run(binary.EDDM(**params), stream)


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("stream_name", sorted(REAL_STREAMS))
@pytest.mark.parametrize("params", KSWIN_SETTINGS, ids=str)
def test_kswin_matches_river(params: dict[str, Any], stream_name: str, seed: int) -> None:
    # A test on every value makes KSWIN the slowest: keep 600 values around the change.
    stream = REAL_STREAMS[stream_name](seed)[1200:1800]
    ours, theirs = KSWIN(**params), drift.KSWIN(**params)
    assert run(ours, stream) == run(theirs, stream)
    assert ours.p_value == theirs.p_value


@pytest.mark.parametrize("seed", SEEDS)
def test_kswin_with_an_initial_window_matches_river(seed: int) -> None:
    stream = REAL_STREAMS["abrupt"](seed)
    warm, rest = stream[:100], stream[1400:1700]
    ours = KSWIN(seed=seed, window=warm)
    theirs = drift.KSWIN(seed=seed, window=warm)
    assert run(ours, rest) == run(theirs, rest)


def test_binary_detectors_accept_booleans_like_river() -> None:
    stream = [bool(x) for x in BINARY_STREAMS["abrupt"](0)]
    assert run(DDM(), stream) == run(binary.DDM(), stream)
    assert run(EDDM(), stream) == run(binary.EDDM(), stream)
