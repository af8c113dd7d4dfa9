"""The streaming-detector contract every public detector keeps."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

import driftpilot.detectors as detectors
from driftpilot.detectors import ADWIN, DDM, EDDM, KSWIN, PageHinkley, StreamingDetector, detect
from driftpilot.errors import InvalidParameterError

FACTORIES: dict[str, Any] = {
    "ADWIN": lambda: ADWIN(clock=1),
    "PageHinkley": lambda: PageHinkley(min_instances=5, threshold=5.0),
    "KSWIN": lambda: KSWIN(seed=0, alpha=0.05, window_size=20, stat_size=5),
    "DDM": lambda: DDM(warm_start=5),
    "EDDM": lambda: EDDM(warm_start=5),
}
BINARY = {"DDM", "EDDM"}


def stream_for(name: str) -> list[float]:
    if name in BINARY:
        return [0.0] * 10 + [1.0, 0.0] * 20 + [1.0] * 200
    return [0.0, 1.0] * 100 + [50.0, 51.0] * 100


def test_all_is_sorted_and_complete() -> None:
    def rank(n: str) -> tuple[int, str]:
        return (0 if n.isupper() else 1 if n[:1].isupper() else 2, n)

    assert detectors.__all__ == sorted(detectors.__all__, key=rank)
    for name in detectors.__all__:
        assert hasattr(detectors, name)


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_contract(name: str) -> None:
    detector = FACTORIES[name]()
    assert isinstance(detector, StreamingDetector)
    assert detector.update(0) is detector
    assert detector.n_seen == 1
    with pytest.raises(AttributeError):
        detector.drift_detected = True
    found = detect(detector, stream_for(name))
    assert found, "the test stream is built to trigger every detector"
    assert detector.n_seen == 1 + len(stream_for(name))
    assert name in repr(detector)


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_drift_flag_lasts_one_update(name: str) -> None:
    detector = FACTORIES[name]()
    flags = [detector.update(x).drift_detected for x in stream_for(name)]
    assert not any(a and b for a, b in itertools.pairwise(flags))


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_parameters_are_keyword_only(name: str) -> None:
    cls = getattr(detectors, name)
    with pytest.raises(TypeError):
        cls(0.1)


@pytest.mark.parametrize("name", sorted(FACTORIES))
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "1", None, 0.5])
def test_bad_values_are_rejected(name: str, bad: object) -> None:
    detector = FACTORIES[name]()
    if bad == 0.5 and name not in BINARY:
        detector.update(bad)  # type: ignore[arg-type]
        return
    with pytest.raises(InvalidParameterError, match="'x'"):
        detector.update(bad)  # type: ignore[arg-type]
    assert detector.n_seen == 0


def test_error_message_names_parameter_and_value() -> None:
    with pytest.raises(InvalidParameterError) as info:
        KSWIN(alpha=1.5)
    assert str(info.value) == (
        "The 'alpha' parameter of KSWIN must be a real number in [0, 1]. Got 1.5 instead."
    )


def test_detect_continues_a_stream_without_resetting() -> None:
    detector = PageHinkley(min_instances=5, threshold=5.0)
    assert detect(detector, [0.0] * 20) == []
    assert detect(detector, [5.0] * 5) == [1]
    assert detector.n_seen == 25


def test_warnings_come_before_drift() -> None:
    ddm = DDM()
    stream = ([1] + [0] * 9) * 50 + [1, 0] * 200
    warned = drifted = None
    for i, x in enumerate(stream):
        ddm.update(x)
        if ddm.warning_detected and warned is None:
            warned = i
        if ddm.drift_detected:
            drifted = i
            assert not ddm.warning_detected
            break
    assert warned is not None
    assert drifted is not None
    assert warned < drifted
