"""Keep PySpark's per-task start in a reused Python worker cheap.

PySpark's worker calls importlib.invalidate_caches() at the start of every task (SPARK-54744
stops that after Spark 4.1). On CPython 3.10 and 3.11 that makes every zipimporter re-read its
whole archive directory (python/cpython#103200; lazy from 3.12 on), and pyspark.zip, py4j and the
jobs' bundle have one importer per package imported from them: about 125 ms of CPU per task, the
cost of featurizing 35 images. An archive is re-read here only when its size or modification
time changed, which keeps what invalidation is for: a rewritten archive is seen.
"""
import os
import sys
import zipimport

_MARK = "_canopy_rereads_only_when_changed"


def _archive_key(archive: str):
    try:
        stat = os.stat(archive)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def reread_archives_only_when_changed() -> None:
    """Patch zipimporter.invalidate_caches in this process (idempotent; a no-op where it is lazy)."""
    if not (3, 10) <= sys.version_info[:2] < (3, 12):
        return
    original = zipimport.zipimporter.invalidate_caches
    if getattr(original, _MARK, False):
        return

    def invalidate_caches(importer) -> None:
        key = _archive_key(importer.archive)
        if key is None or importer.__dict__.get("_canopy_archive_key") != key:
            original(importer)
            importer._canopy_archive_key = key

    setattr(invalidate_caches, _MARK, True)
    zipimport.zipimporter.invalidate_caches = invalidate_caches
