import importlib
import sys
import zipfile
import zipimport

import pytest

from canopy_jobs import python_worker


def write_archive(path, modules: dict) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, source in modules.items():
            archive.writestr(f"{name}.py", source)


def reads_of(reads: list, path) -> list:
    # Other tests of the session leave importers of their own archives (Spark's --py-files bundles) behind.
    return [archive for archive in reads if archive == str(path)]


@pytest.fixture
def archive_on_path(tmp_path, monkeypatch):
    path = tmp_path / "bundle.zip"
    write_archive(path, {"canopy_probe_first": "VALUE = 1\n"})
    monkeypatch.syspath_prepend(str(path))
    monkeypatch.setattr(zipimport.zipimporter, "invalidate_caches", zipimport.zipimporter.invalidate_caches)
    reads = []
    original_read = zipimport._read_directory
    monkeypatch.setattr(zipimport, "_read_directory", lambda archive: reads.append(archive) or original_read(archive))
    for name in ("canopy_probe_first", "canopy_probe_second"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    yield path, reads


def test_unpatched_invalidation_rereads_an_unchanged_archive_on_this_python(archive_on_path):
    path, reads = archive_on_path
    importlib.import_module("canopy_probe_first")
    reads.clear()
    importlib.invalidate_caches()
    assert reads_of(reads, path) == [str(path)]


def test_an_unchanged_archive_is_not_reread(archive_on_path):
    path, reads = archive_on_path
    importlib.import_module("canopy_probe_first")
    python_worker.reread_archives_only_when_changed()
    importlib.invalidate_caches()
    reads.clear()
    for _ in range(3):
        importlib.invalidate_caches()
    assert reads_of(reads, path) == []


def test_a_rewritten_archive_is_reread_and_its_new_modules_import(archive_on_path):
    path, reads = archive_on_path
    importlib.import_module("canopy_probe_first")
    python_worker.reread_archives_only_when_changed()
    importlib.invalidate_caches()
    write_archive(path, {"canopy_probe_first": "VALUE = 1\n", "canopy_probe_second": "VALUE = 2\n"})
    reads.clear()
    importlib.invalidate_caches()
    assert reads_of(reads, path) == [str(path)]
    assert importlib.import_module("canopy_probe_second").VALUE == 2


def test_patching_twice_wraps_once(archive_on_path):
    python_worker.reread_archives_only_when_changed()
    patched = zipimport.zipimporter.invalidate_caches
    python_worker.reread_archives_only_when_changed()
    assert zipimport.zipimporter.invalidate_caches is patched
