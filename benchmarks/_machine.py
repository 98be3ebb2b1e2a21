"""The machine and library versions a benchmark ran on, for BENCHMARKS.md.

Every figure names the CPU, the BLAS with the kernel it runs (threadpoolctl reports it: an
OpenBLAS built for many CPUs picks one at start, or takes the one that OPENBLAS_CORETYPE
forces) and the thread count; ``describe`` says all of that in one line.
"""

from __future__ import annotations

import os
import platform
import re

import numpy as np

#: environment variables that change which BLAS kernel runs, or how many threads
BLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")


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
    # NOTE: NumPy's own BLAS, not one that another library (PyTorch's MKL) brought in
    infos = [i for i in infos if "numpy" in i.get("filepath", "")] or infos
    return ", ".join(
        f"{i['internal_api']} {i['version']} "
        f"({i.get('architecture', '?')} kernels, {i['num_threads']} threads)"
        for i in infos
    )


def torch_blas() -> str:
    """PyTorch's version, BLAS and the vector instructions it dispatches to."""
    try:
        import torch
    except ImportError:
        return "PyTorch not installed"
    config = torch.__config__.show()
    mkl = re.search(r"Math Kernel Library Version (\S+)", config)
    blas_info = re.search(r"BLAS_INFO=(\w+)", config)
    name = f"MKL {mkl.group(1)}" if mkl else (blas_info.group(1) if blas_info else "BLAS unknown")
    return (
        f"PyTorch {torch.__version__} with {name} "
        f"({torch.backends.cpu.get_cpu_capability()}, {torch.get_num_threads()} threads)"
    )


def blas_env() -> str:
    """The BLAS-related environment variables that are set, or 'none set'."""
    found = [f"{k}={os.environ[k]}" for k in BLAS_ENV if k in os.environ]
    return ", ".join(found) if found else "none set"


def describe() -> str:
    return (
        f"{cpu_model()}, {os.cpu_count()} cores; Python {platform.python_version()}, "
        f"NumPy {np.__version__} with {blas()}; BLAS environment: {blas_env()}"
    )
