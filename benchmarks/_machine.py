"""The machine and library versions a benchmark ran on, for BENCHMARKS.md."""

from __future__ import annotations

import os
import platform

import numpy as np


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas() -> str:
    try:
        import threadpoolctl
    except ImportError:
        return "BLAS unknown (install threadpoolctl)"
    infos = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
    return ", ".join(
        f"{i['internal_api']} {i['version']} "
        f"({i.get('architecture', '?')}, {i['num_threads']} threads)"
        for i in infos
    )


def describe() -> str:
    return (
        f"{cpu_model()}, {os.cpu_count()} cores; Python {platform.python_version()}, "
        f"NumPy {np.__version__} with {blas()}"
    )
