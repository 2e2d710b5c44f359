"""Reading and writing job outputs through Hadoop's FileSystem API.

Going through the JVM means the same code writes to file://, wasbs:// and abfss:// URIs;
Python's open() would only ever see the local disk.
"""
import os
import tempfile
import uuid


def _filesystem(spark, uri: str):
    path = spark._jvm.org.apache.hadoop.fs.Path(uri)
    return path.getFileSystem(spark._jsc.hadoopConfiguration()), path


def join(base: str, *parts: str) -> str:
    return "/".join([base.rstrip("/")] + [part.strip("/") for part in parts])


def exists(spark, uri: str) -> bool:
    filesystem, path = _filesystem(spark, uri)
    return bool(filesystem.exists(path))


def delete(spark, uri: str) -> None:
    filesystem, path = _filesystem(spark, uri)
    if filesystem.exists(path):
        filesystem.delete(path, True)


def child_directories(spark, uri: str) -> list:
    """Names of the directories directly under uri, sorted; [] when uri does not exist."""
    filesystem, path = _filesystem(spark, uri)
    if not filesystem.exists(path):
        return []
    names = [status.getPath().getName() for status in filesystem.listStatus(path) if status.isDirectory()]
    return sorted(name for name in names if not name.startswith((".", "_")))


def write_bytes(spark, uri: str, data: bytes) -> None:
    """Writes under a hidden temporary name, then renames into place.

    Hadoop file systems (local, HDFS, ABFS) show a file from create() on, empty until close(): a
    poller that sees `_FAILED` must not read it before its message is there.
    """
    filesystem, path = _filesystem(spark, uri)
    temporary = spark._jvm.org.apache.hadoop.fs.Path(path.getParent(), f"_tmp.{uuid.uuid4().hex}.{path.getName()}")
    stream = filesystem.create(temporary, True)
    try:
        stream.write(bytearray(data))
    finally:
        stream.close()
    if filesystem.exists(path):
        filesystem.delete(path, False)
    if not filesystem.rename(temporary, path):
        filesystem.delete(temporary, False)
        raise OSError(f"could not rename {temporary.toString()} to {uri}")


def write_text(spark, uri: str, text: str) -> None:
    write_bytes(spark, uri, text.encode("utf-8"))


def read_bytes(spark, uri: str) -> bytes:
    """A whole (small) file, read through Spark so any Hadoop URI works."""
    rows = spark.read.format("binaryFile").load(uri).select("content").collect()
    if len(rows) != 1:
        raise FileNotFoundError(uri)
    return bytes(rows[0]["content"])


def upload_directory(spark, local_dir: str, uri: str) -> None:
    """Copy a local directory's files to uri (replacing what is there)."""
    delete(spark, uri)
    for root, _, files in os.walk(local_dir):
        for name in sorted(files):
            local_path = os.path.join(root, name)
            relative = os.path.relpath(local_path, local_dir).replace(os.sep, "/")
            with open(local_path, "rb") as handle:
                write_bytes(spark, join(uri, relative), handle.read())


def scratch_directory() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="canopy-")
