"""Which machine a benchmark ran on: printed beside every table (figures are per machine).

The benchmarks are scripts (``python benchmarks/bench_x.py``), so this module is imported
from the script's own folder.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

__all__ = ["cpu_model", "load_average"]


def cpu_model() -> str:
    """The CPU's model name (from ``/proc/cpuinfo``, else what ``platform`` knows)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def load_average(separator: str = " ") -> str:
    """The 1, 5 and 15 minute load averages, two decimals each."""
    return separator.join(f"{v:.2f}" for v in os.getloadavg())
