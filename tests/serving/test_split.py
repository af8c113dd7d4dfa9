"""The split: realised shares within binomial error, and keys that stay as weights grow."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driftpilot.lifecycle import RoutingKey, SetChampion, SetRouting, SetWeight, StartCanary
from driftpilot.serving import Router, StoreDeploymentSource
from driftpilot.store import Store, create_engine
from serving.sklearn_models import load

N_KEYS = 100_000
KEYS = [f"user-{i}" for i in range(N_KEYS)]


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path = tmp_path_factory.mktemp("split") / "driftpilot.db"
    store = Store(create_engine(f"sqlite:///{path}"))
    store.upgrade()
    store.models.create_model("churn", "binary")
    for version in ("1", "2", "3"):
        store.models.create_version("churn", version)
    store.deployments.change("churn", SetChampion(version="1"), actor="t", reason="t")
    store.deployments.change("churn", StartCanary(version="2", weight=0, owner="rollout"),
                             actor="t", reason="t")  # fmt: skip
    yield store
    store.close()


@pytest.fixture(scope="module")
def router(sqlite_store: Store) -> Iterator[Router]:
    routed = Router("churn", StoreDeploymentSource(sqlite_store, "churn"), load)
    routed.refresh()
    yield routed
    routed.close()


def _canary_keys(store: Store, router: Router, weight: float) -> set[str]:
    store.deployments.change("churn", SetWeight(weight=weight), actor="t", reason="t")
    router.refresh()
    assert router.deployment is not None
    assert router.deployment.canary_weight == weight
    return {k for k in KEYS if router.cohort_of(k) == "canary"}


@pytest.mark.slow
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(weight=st.floats(min_value=0.5, max_value=99.5, allow_nan=False))
def test_realised_split_is_within_binomial_error(
    sqlite_store: Store, router: Router, weight: float
) -> None:
    n_canary = len(_canary_keys(sqlite_store, router, weight))
    p = weight / 100
    sd = math.sqrt(N_KEYS * p * (1 - p))
    assert abs(n_canary - N_KEYS * p) <= 5 * sd, (n_canary, N_KEYS * p, sd)  # 5 sigma: 6e-7


@pytest.mark.slow
@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), min_size=2, max_size=4))
def test_a_key_on_the_canary_stays_on_it_as_the_weight_grows(
    sqlite_store: Store, router: Router, weights: list[float]
) -> None:
    previous: set[str] = set()
    for weight in sorted(weights):
        current = _canary_keys(sqlite_store, router, weight)
        assert previous <= current
        previous = current


def test_routing_is_the_same_in_another_process(sqlite_store: Store, router: Router,
                                                tmp_path: Path) -> None:  # fmt: skip
    """Four router processes must agree: the hash cannot depend on PYTHONHASHSEED."""
    here = sorted(_canary_keys(sqlite_store, router, 30.0))[:2000]
    script = (
        "import sys\n"
        "from driftpilot.lifecycle import Canary, Deployment\n"
        "from driftpilot.serving.router import _Table, _cohort, _salt\n"
        "d = Deployment(model='churn', champion='1', canary=Canary(version='2', weight=30, "
        "owner='r'))\n"
        "t = _Table(d, {}, _salt(d))\n"
        f"keys = [f'user-{{i}}' for i in range({N_KEYS})]\n"
        "print('\\n'.join(sorted(k for k in keys if _cohort(t, k) == 'canary')[:2000]))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, check=True)  # fmt: skip
    assert done.stdout.split() == here


def test_non_sticky_routing_draws_new_keys_for_each_canary(sqlite_store: Store) -> None:
    source = StoreDeploymentSource(sqlite_store, "churn")
    sqlite_store.deployments.change("churn", SetWeight(weight=20), actor="t", reason="t")
    first = Router("churn", source, load)
    first.refresh()
    sticky_keys = {k for k in KEYS[:20_000] if first.cohort_of(k) == "canary"}
    from driftpilot.lifecycle import StopCanary

    sqlite_store.deployments.change("churn", StopCanary(), actor="t", reason="t")
    sqlite_store.deployments.change(
        "churn", SetRouting(routing_key=RoutingKey(), sticky=False), actor="t", reason="t"
    )
    sqlite_store.deployments.change("churn", StartCanary(version="2", weight=20, owner="r"),
                                    actor="t", reason="t")  # fmt: skip
    first.refresh()
    salted = {k for k in KEYS[:20_000] if first.cohort_of(k) == "canary"}
    overlap = len(sticky_keys & salted) / len(sticky_keys)
    assert 0.1 < overlap < 0.3  # independent draws overlap by the weight, 20 %
    sqlite_store.deployments.change("churn", StopCanary(), actor="t", reason="t")
    sqlite_store.deployments.change(
        "churn", SetRouting(routing_key=RoutingKey(), sticky=True), actor="t", reason="t"
    )
    sqlite_store.deployments.change("churn", StartCanary(version="2", weight=20, owner="r"),
                                    actor="t", reason="t")  # fmt: skip
    first.close()
