"""hypothesis properties: equality with River on random short streams, reset, bad parameters."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from river import drift
from river.drift import binary

from detectors.streams import run
from driftpilot.detectors import ADWIN, DDM, EDDM, KSWIN, PageHinkley
from driftpilot.errors import InvalidParameterError

FAST = settings(max_examples=60, deadline=None)


@st.composite
def shifted_streams(draw: st.DrawFn, max_size: int = 400) -> list[float]:
    """Two segments of random values, the second shifted, so detectors do fire."""
    values = st.floats(-5, 5, allow_nan=False, width=64) | st.integers(-3, 3).map(float)
    first = draw(st.lists(values, max_size=max_size // 2))
    shift = draw(st.floats(-20, 20, allow_nan=False))
    second = draw(st.lists(values, max_size=max_size // 2))
    return first + [x + shift for x in second]


@st.composite
def error_streams(draw: st.DrawFn) -> list[int]:
    """0/1 streams in segments of different error rates."""
    stream: list[int] = []
    for _ in range(draw(st.integers(1, 4))):
        p = draw(st.floats(0, 1))
        n = draw(st.integers(0, 150))
        bits = draw(st.lists(st.floats(0, 1), min_size=n, max_size=n))
        stream += [int(b < p) for b in bits]
    return stream


adwin_params = st.fixed_dictionaries(
    {
        "delta": st.floats(1e-5, 0.5),
        "clock": st.integers(1, 40),
        "max_buckets": st.integers(2, 6),
        "min_window_length": st.integers(1, 12),
        "grace_period": st.integers(0, 30),
    }
)
ph_params = st.fixed_dictionaries(
    {
        "min_instances": st.integers(0, 50),
        "delta": st.floats(0, 1),
        "threshold": st.floats(0.1, 60),
        "alpha": st.floats(0.9, 1),
        "mode": st.sampled_from(["up", "down", "both"]),
    }
)
ddm_params = st.fixed_dictionaries(
    {
        "warm_start": st.integers(0, 60),
        "warning_threshold": st.floats(0.5, 2.5),
        "drift_threshold": st.floats(2.5, 4),
    }
)
eddm_params = st.tuples(st.integers(0, 60), st.floats(0.5, 1), st.floats(0.5, 1)).map(
    lambda t: {"warm_start": t[0], "alpha": max(t[1], t[2]), "beta": min(t[1], t[2])}
)
kswin_params = st.integers(2, 12).flatmap(
    lambda stat: st.fixed_dictionaries(
        {
            "alpha": st.floats(0, 1),
            "stat_size": st.just(stat),
            "window_size": st.integers(2 * stat, 2 * stat + 30),
            "seed": st.integers(0, 2**32),
        }
    )
)


@FAST
@given(params=adwin_params, stream=shifted_streams())
def test_adwin_equals_river(params: dict[str, Any], stream: list[float]) -> None:
    assert run(ADWIN(**params), stream) == run(drift.ADWIN(**params), stream)


@FAST
@given(params=ph_params, stream=shifted_streams())
def test_page_hinkley_equals_river(params: dict[str, Any], stream: list[float]) -> None:
    assert run(PageHinkley(**params), stream) == run(drift.PageHinkley(**params), stream)


@FAST
@given(params=ddm_params, stream=error_streams())
def test_ddm_equals_river(params: dict[str, Any], stream: list[int]) -> None:
    assert run(DDM(**params), stream) == run(binary.DDM(**params), stream)


@FAST
@given(params=eddm_params, stream=error_streams())
def test_eddm_equals_river(params: dict[str, Any], stream: list[int]) -> None:
    assert run(EDDM(**params), stream) == run(binary.EDDM(**params), stream)


@settings(max_examples=25, deadline=None)
@given(params=kswin_params, stream=shifted_streams(max_size=160))
def test_kswin_equals_river(params: dict[str, Any], stream: list[float]) -> None:
    assert run(KSWIN(**params), stream) == run(drift.KSWIN(**params), stream)


@settings(max_examples=30, deadline=None)
@given(
    data=st.data(),
    first=shifted_streams(max_size=200),
    second=shifted_streams(max_size=200),
)
def test_reset_gives_a_fresh_detector(
    data: st.DataObject, first: list[float], second: list[float]
) -> None:
    which = data.draw(st.sampled_from(["adwin", "ph", "kswin", "ddm", "eddm"]))
    make: dict[str, Any] = {
        "adwin": lambda: ADWIN(clock=4),
        "ph": lambda: PageHinkley(threshold=5.0),
        "kswin": lambda: KSWIN(seed=3, window_size=20, stat_size=5, window=[0.0, 1.0, 2.0]),
        "ddm": DDM,
        "eddm": EDDM,
    }
    if which in {"ddm", "eddm"}:
        first = [int(x > 0) for x in first]
        second = [int(x > 0) for x in second]
    used = make[which]()
    run(used, first)
    used.reset()
    assert used.n_seen == 0
    assert not used.drift_detected
    assert run(used, second) == run(make[which](), second)


BAD_PARAMETERS: list[tuple[type, dict[str, Any], str]] = [
    (ADWIN, {"delta": 0.0}, "delta"),
    (ADWIN, {"delta": 1.5}, "delta"),
    (ADWIN, {"clock": 0}, "clock"),
    (ADWIN, {"clock": 2.5}, "clock"),
    (ADWIN, {"max_buckets": 1}, "max_buckets"),
    (ADWIN, {"min_window_length": 0}, "min_window_length"),
    (ADWIN, {"grace_period": -1}, "grace_period"),
    (PageHinkley, {"threshold": -1.0}, "threshold"),
    (PageHinkley, {"alpha": 0.0}, "alpha"),
    (PageHinkley, {"delta": float("nan")}, "delta"),
    (PageHinkley, {"mode": "sideways"}, "mode"),
    (PageHinkley, {"min_instances": True}, "min_instances"),
    (DDM, {"warm_start": -1}, "warm_start"),
    (DDM, {"warning_threshold": 3.0, "drift_threshold": 2.0}, "drift_threshold"),
    (EDDM, {"alpha": 0.8, "beta": 0.9}, "alpha"),
    (EDDM, {"beta": 0.0}, "beta"),
    (KSWIN, {"alpha": 1.5}, "alpha"),
    (KSWIN, {"stat_size": 0}, "stat_size"),
    (KSWIN, {"window_size": 50, "stat_size": 30}, "window_size"),
    (KSWIN, {"seed": -1}, "seed"),
    (KSWIN, {"window": [1.0, float("inf")]}, "window"),
]


@pytest.mark.parametrize(("cls", "params", "name"), BAD_PARAMETERS, ids=str)
def test_bad_parameters_raise_and_name_the_parameter(
    cls: type, params: dict[str, Any], name: str
) -> None:
    with pytest.raises(InvalidParameterError, match=rf"'{name}'.*Got .* instead"):
        cls(**params)


outside_unit = st.one_of(
    st.floats(allow_nan=True).filter(lambda v: not 0 < v < 1),
    st.text(max_size=3),
    st.none(),
    st.booleans(),
)


@given(value=outside_unit)
def test_adwin_delta_outside_the_unit_interval_raises(value: object) -> None:
    with pytest.raises(InvalidParameterError, match="'delta' parameter of ADWIN"):
        ADWIN(delta=value)  # type: ignore[arg-type]


@given(value=outside_unit.filter(lambda v: v not in (0.0, 1.0) or isinstance(v, bool)))
def test_kswin_alpha_outside_the_unit_interval_raises(value: object) -> None:
    with pytest.raises(InvalidParameterError, match="'alpha' parameter of KSWIN"):
        KSWIN(alpha=value)  # type: ignore[arg-type]


@given(value=st.integers(max_value=0) | st.floats() | st.text(max_size=2))
def test_non_positive_or_non_integer_clock_raises(value: object) -> None:
    with pytest.raises(InvalidParameterError, match="'clock' parameter of ADWIN"):
        ADWIN(clock=value)  # type: ignore[arg-type]
