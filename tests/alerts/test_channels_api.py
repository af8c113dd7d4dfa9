"""Conformance of the channels package: public names, the protocol, error codes."""

from __future__ import annotations

import importlib

import pytest

from driftpilot import errors
from driftpilot.alerts.channels import (
    Channel,
    DeliveryError,
    EmailChannel,
    PagerDutyChannel,
    build_channel,
)

MODULES = [
    "driftpilot.alerts.channels",
    "driftpilot.alerts.channels.email",
    "driftpilot.alerts.channels.opsgenie",
    "driftpilot.alerts.channels.pagerduty",
    "driftpilot.alerts.channels.slack",
    "driftpilot.alerts.channels.teams",
    "driftpilot.alerts.channels.webhook",
    "driftpilot.alerts.delivery",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_is_sorted_and_complete(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)

    def rank(n: str) -> tuple[int, str]:
        return (0 if n.isupper() else 1 if n[:1].isupper() else 2, n)

    assert exported == sorted(exported, key=rank)
    for public in exported:
        assert hasattr(module, public)


def test_delivery_error_joins_the_hierarchy_with_a_unique_code() -> None:
    assert issubclass(DeliveryError, errors.DriftpilotError)
    assert issubclass(DeliveryError, OSError)
    codes = {getattr(errors, n).code for n in errors.__all__}
    assert DeliveryError.code == "delivery_failed"
    assert DeliveryError.code not in codes


def test_channels_satisfy_the_protocol() -> None:
    email = EmailChannel("localhost", 25, sender="a@b.test", recipients=["c@d.test"])
    with PagerDutyChannel("k" * 32) as pagerduty:
        for channel in (email, pagerduty, build_channel("pagerduty", {"routing_key": "k" * 32})):
            assert isinstance(channel, Channel)
            channel.close()
