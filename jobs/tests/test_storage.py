"""Job outputs appear whole: a poller that sees a file can read all of it."""
import os
import threading

from canopy_jobs import storage


def visible_files(folder):
    return sorted(name for name in os.listdir(folder) if not name.endswith(".crc"))


def test_write_replaces_the_file_and_leaves_no_temporary(spark, tmp_path):
    target = tmp_path / "_FAILED"
    storage.write_text(spark, target.as_uri(), "first")
    storage.write_text(spark, target.as_uri(), '{"message": "second"}')

    assert target.read_text() == '{"message": "second"}'
    assert visible_files(tmp_path) == ["_FAILED"]


def test_a_file_is_never_seen_before_its_content_is_written(spark, tmp_path):
    target = tmp_path / "metrics.json"
    payload = b"x" * (16 * 1024 * 1024)
    sizes_seen = []
    done = threading.Event()

    def watch():
        while not done.is_set():
            if target.exists():
                sizes_seen.append(target.stat().st_size)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        storage.write_bytes(spark, target.as_uri(), payload)
    finally:
        done.set()
        watcher.join()

    assert target.stat().st_size == len(payload)
    assert all(size == len(payload) for size in sizes_seen)
