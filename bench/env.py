"""The benchmark's own packages (plotting, the WSGI server, the profiler), kept out of the
product's dependencies: a separate virtualenv under var/, created on first use, whose
site-packages are appended to this interpreter's path (the product's packages win)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "var" / "bench-venv"
# Pinned like the product's own dependencies; numpy pinned to the product's version.
PACKAGES = ("matplotlib==3.11.2", "waitress==3.0.2", "pyinstrument==5.1.3", "numpy==2.4.6")


def _site_packages() -> Path:
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return VENV / "lib" / version / "site-packages"


def bench_packages() -> None:
    """Make matplotlib, waitress and pyinstrument importable, installing them if needed."""
    site = _site_packages()
    if not (site / "waitress").exists() or not (site / "matplotlib").exists():
        if not (VENV / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(VENV / "bin" / "python"), "-m", "pip", "install", "-q", *PACKAGES], check=True
        )
    if str(site) not in sys.path:
        sys.path.append(str(site))
