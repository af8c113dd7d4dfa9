"""The dashboard's page registry: what the navigation shows, by section.

Every top-level page registers one :class:`NavItem`; the layout draws the navigation from
:data:`NAVIGATION` alone, grouped by ``section`` in the order sections first appear. The
Lifecycle pages (model registry, rollouts, policy, audit) will join as a ``"Lifecycle"``
section by registering their items and including their router in
``driftpilot.server.dashboard.install_dashboard``; no template changes.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NAVIGATION", "NavItem", "register", "sections"]


@dataclass(frozen=True, slots=True, kw_only=True)
class NavItem:
    """One entry of the navigation: a title, a path under ``/dashboard``, a section."""

    key: str
    title: str
    path: str
    section: str = "Monitoring"


NAVIGATION: list[NavItem] = []


def register(item: NavItem) -> NavItem:
    """Add ``item`` to the navigation (a key registered twice is an error)."""
    if any(known.key == item.key for known in NAVIGATION):
        raise ValueError(f"A dashboard page with key {item.key!r} is already registered.")
    NAVIGATION.append(item)
    return item


def sections() -> list[tuple[str, list[NavItem]]]:
    """Return the navigation grouped by section, in registration order."""
    grouped: dict[str, list[NavItem]] = {}
    for item in NAVIGATION:
        grouped.setdefault(item.section, []).append(item)
    return list(grouped.items())


register(NavItem(key="fleet", title="Fleet", path="/"))
register(NavItem(key="alerts", title="Alerts", path="/alerts"))
