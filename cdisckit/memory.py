"""Memory a run hands back between its stages.

The text columns are arrow-backed (pandas ``str``): their buffers come from pyarrow's memory pool. pyarrow's
default pool (mimalloc) keeps the pages of freed buffers for reuse, so a run's resident memory only grows: at
10,000 subjects the SDTM map leaves ~1.1 GB resident for 0.25 GB of datasets. The pipeline's SDTM and ADaM
stages therefore take arrow buffers from malloc (as ``ARROW_DEFAULT_MEMORY_POOL=system`` would; a pool the user
chose through that variable is kept) and, after each stage, return what is free to the operating system. Nothing
here changes a value.

>>> release_memory()  # safe to call at any time
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import os


def use_system_allocator() -> None:
    """Arrow buffers from malloc (returned by :func:`release_memory`), unless ARROW_DEFAULT_MEMORY_POOL is set."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())


def release_memory() -> None:
    """Collect garbage and hand free heap pages back to the OS (pyarrow's pool, then glibc's ``malloc_trim``)."""
    gc.collect()
    trim_memory()


def trim_memory() -> None:
    """Hand free heap pages back to the OS without collecting garbage: cheap enough between the datasets of a
    stage, where the frames just dropped are freed by their reference counts."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    _malloc_trim()


@functools.cache
def _malloc_trim_function():
    """glibc's ``malloc_trim``, looked up once: ``find_library`` runs ``ldconfig -p`` in a forked process, which
    at every stage of a large run would copy the page tables of a GiB-sized process (None: not glibc)."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    return getattr(ctypes.CDLL(name), "malloc_trim", None)  # glibc only; musl and macOS have none


def _malloc_trim() -> None:
    trim = _malloc_trim_function()
    if trim is not None:
        trim(0)
