"""Freed memory kept for the next arrays of large NumPy work (the recompute).

A recompute allocates and frees arrays of a few to tens of megabytes hundreds of times. glibc
serves each of them with a fresh mmap and unmaps it on free, so the next array's pages are
faulted in and zeroed by the kernel again: on the 1M-order benchmark tenant a nightly run
spent 0.06-0.3 s of system time on 27,000-48,000 page faults, a tenth to a third of the run
and the most variable part of it. With the mmap threshold raised, such arrays come from the
heap, and with the trim threshold raised, what they free stays there for the next array and
the next run (a worker recomputes one tenant after the other): page faults near 0, system
time 0.01-0.02 s.

The price: a worker process keeps the memory of its largest run (about 0.7 GB for a
1M-order tenant) instead of giving it back between tasks. Giving it back after each run
(`malloc_trim`) was tried: the next run faulted every page in again and was slower than
without any of this. Only where the C library is glibc; elsewhere it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging

logger = logging.getLogger(__name__)

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's upper limit on 64-bit systems
TRIM_THRESHOLD = 1024 * 1024 * 1024


@functools.cache
def _glibc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        return libc
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
        return None


def arrays_reuse_memory() -> bool:
    """Let freed blocks up to 32 MB stay in the process for the next allocation (process-wide
    and lasting; calling it again changes nothing). False where it is not available."""
    libc = _glibc()
    if libc is None:
        return False
    done = bool(
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
    if not done:
        logger.debug("mallopt refused the thresholds; memory handling unchanged")
    return done
