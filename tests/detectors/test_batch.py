"""``update_many`` equals a loop of ``update``; ``to_dict``/``from_dict`` round-trip exactly.

Both are hypothesis properties over random parameters, streams and batch splits. ADWIN's batch
runs in a numba-compiled loop when numba is installed: it is checked against the loop of
``update``, against River, and the uncompiled kernel (the code numba compiles, run by Python)
too, so the kernel's logic is tested whether numba is there or not.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from river import drift
from river.drift import binary

from detectors.streams import BINARY_STREAMS, REAL_STREAMS
from detectors.streams import run as run_loop
from detectors.test_properties import (
    adwin_params,
    ddm_params,
    eddm_params,
    error_streams,
    kswin_params,
    ph_params,
    shifted_streams,
)
from driftpilot.detectors import ADWIN, DDM, EDDM, KSWIN, PageHinkley, _adwin_kernel, detect
from driftpilot.errors import InvalidParameterError

FAST = settings(max_examples=60, deadline=None)

CASES: dict[str, tuple[type, Any, Any]] = {
    "ADWIN": (ADWIN, adwin_params, shifted_streams(max_size=600)),
    "PageHinkley": (PageHinkley, ph_params, shifted_streams()),
    "DDM": (DDM, ddm_params, error_streams()),
    "EDDM": (EDDM, eddm_params, error_streams()),
    "KSWIN": (KSWIN, kswin_params, shifted_streams(max_size=160)),
}


def loop(detector: Any, stream: list[Any]) -> list[int]:
    return [i for i, x in enumerate(stream) if detector.update(x).drift_detected]


def batched(detector: Any, stream: list[Any], cuts: list[int]) -> list[int]:
    found: list[int] = []
    bounds = [0, *sorted(c % (len(stream) + 1) for c in cuts), len(stream)]
    for lo, hi in itertools.pairwise(bounds):
        found += [lo + int(i) for i in detector.update_many(stream[lo:hi]).batch_drifts]
    return found


def same_state(a: Any, b: Any) -> None:
    assert a.to_dict() == b.to_dict()
    assert a.drift_detected == b.drift_detected
    assert getattr(a, "warning_detected", None) == getattr(b, "warning_detected", None)


@pytest.mark.parametrize("name", sorted(CASES))
@FAST
@given(data=st.data(), cuts=st.lists(st.integers(0, 10_000), max_size=4))
def test_update_many_equals_a_loop_of_update(name: str, data: st.DataObject,
                                             cuts: list[int]) -> None:  # fmt: skip
    cls, params_strategy, streams = CASES[name]
    params, stream = data.draw(params_strategy), data.draw(streams)
    one, many = cls(**params), cls(**params)
    assert batched(many, stream, cuts) == loop(one, stream)
    same_state(one, many)


@pytest.mark.parametrize("compiled", [False, True], ids=["python-kernel", "numba-kernel"])
@FAST
@given(params=adwin_params, stream=shifted_streams(max_size=800), cuts=st.lists(st.integers()))
def test_adwin_kernel_equals_a_loop_of_update(
    compiled: bool, params: dict[str, Any], stream: list[float], cuts: list[int]
) -> None:
    kernel = _adwin_kernel.compiled() if compiled else _adwin_kernel.run
    if kernel is None:
        pytest.skip("numba is not installed")
    one, many = ADWIN(**params), ADWIN(**params)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("driftpilot.detectors.adwin._COMPILED_FROM", 0)
        patch.setattr(_adwin_kernel, "compiled", lambda: kernel)
        found = batched(many, stream, cuts)
    assert found == loop(one, stream)
    same_state(one, many)


RIVER = {"ADWIN": (ADWIN, drift.ADWIN), "PageHinkley": (PageHinkley, drift.PageHinkley)}


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("stream_name", sorted(REAL_STREAMS))
@pytest.mark.parametrize("name", sorted(RIVER))
@pytest.mark.parametrize("clock", [1, 32])
def test_batches_flag_rivers_indices(name: str, stream_name: str, seed: int, clock: int) -> None:
    ours, theirs = RIVER[name]
    params = {"clock": clock} if name == "ADWIN" else {"threshold": 10.0 * clock / 32 + 5}
    stream = REAL_STREAMS[stream_name](seed)
    assert detect(ours(**params), np.asarray(stream)) == run_loop(theirs(**params), stream)[0]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("stream_name", sorted(BINARY_STREAMS))
def test_binary_batches_flag_rivers_indices(stream_name: str, seed: int) -> None:
    stream = BINARY_STREAMS[stream_name](seed)
    for ours, theirs in ((DDM(), binary.DDM()), (EDDM(), binary.EDDM())):
        assert detect(ours, np.asarray(stream)) == run_loop(theirs, stream)[0]


@pytest.mark.parametrize("name", sorted(CASES))
@FAST
@given(data=st.data(), cut=st.integers(0, 10_000))
def test_to_dict_round_trips_exactly(name: str, data: st.DataObject, cut: int) -> None:
    cls, params_strategy, streams = CASES[name]
    params, stream = data.draw(params_strategy), data.draw(streams)
    cut %= len(stream) + 1
    original = cls(**params).update_many(stream[:cut])
    saved = json.loads(json.dumps(original.to_dict()))
    restored = cls.from_dict(saved)
    same_state(original, restored)
    assert repr(restored) == repr(original)
    assert loop(restored, stream[cut:]) == loop(original, stream[cut:])
    same_state(original, restored)


@pytest.mark.parametrize("name", sorted(CASES))
def test_from_dict_refuses_another_detector_or_format(name: str) -> None:
    cls = CASES[name][0]
    other = DDM if cls is not DDM else EDDM
    with pytest.raises(InvalidParameterError, match=rf"'type'.*{name}.from_dict"):
        cls.from_dict(other().to_dict())
    saved = cls().to_dict() if cls is not KSWIN else KSWIN(seed=1).to_dict()
    with pytest.raises(InvalidParameterError, match=r"'format'.*Got 99 instead"):
        cls.from_dict({**saved, "format": 99})
    with pytest.raises(InvalidParameterError, match=r"'state'.*incomplete"):
        cls.from_dict({**saved, "state": {}})
    with pytest.raises(InvalidParameterError, match="must be a dict"):
        cls.from_dict([])  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("bad", [[0.0, float("nan")], [1.0, "1"], [0.0, None], "01", 3.0])
def test_a_bad_batch_raises_before_anything_is_fed(name: str, bad: Any) -> None:
    detector = CASES[name][0]()
    with pytest.raises(InvalidParameterError, match=r"'x'|'xs'"):
        detector.update_many(bad)
    assert detector.n_seen == 0
    assert detector.to_dict() == CASES[name][0]().to_dict() or name == "KSWIN"


def test_a_two_dimensional_batch_is_refused() -> None:
    with pytest.raises(InvalidParameterError, match=r"'xs'.*one-dimensional.*\(2, 2\)"):
        ADWIN().update_many(np.zeros((2, 2)))


def test_the_python_kernel_skips_the_cut_test_of_a_one_value_window() -> None:
    # log(log(1)) raises in Python (numba gives -inf); the loop never computes it there.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("driftpilot.detectors.adwin._COMPILED_FROM", 0)
        patch.setattr(_adwin_kernel, "compiled", lambda: _adwin_kernel.run)
        batch = ADWIN(clock=1, grace_period=0).update_many([1.0, 5.0, 5.0])
    assert (
        batch.to_dict()
        == ADWIN(clock=1, grace_period=0).update(1.0).update(5.0).update(5.0).to_dict()
    )
