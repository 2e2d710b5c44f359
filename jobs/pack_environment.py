"""Packs the jobs' Python dependencies for the cluster into one archive that every Livy batch ships.

    python jobs/pack_environment.py [--lock jobs/requirements-cluster.txt] [--cache jobs/.environment]
                                    [--python-version 3.8]

pip installs the lock's wheels for the cluster's Python (HDInsight 5.1: CPython 3.8 on Ubuntu 18.04,
so wheels for glibc 2.27 at most) into a folder, whatever Python runs pip here, and the folder is written
as `<cache>/<hash>/canopyenv.tar.gz`: entries sorted, times, owners and modes fixed, gzip without a
name or time, so the archive is a function of the wheels the lock names. `<hash>` is the lock's and this
script's content hash (`environment_hash`, mirrored by shared/adapters/azure/hdinsightJobBundle.ts):
an archive already there is reused, and the app uploads each hash once. Prints the archive's path.
"""
import argparse
import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

JOBS_DIR = os.path.dirname(os.path.abspath(__file__))
DEFAULT_LOCK = os.path.join(JOBS_DIR, "requirements-cluster.txt")
DEFAULT_CACHE = os.path.join(JOBS_DIR, ".environment")
ARCHIVE_NAME = "canopyenv.tar.gz"
# HDInsight 5.1's Spark Python (Anaconda's py38 environment); the wheels must be built for it.
CLUSTER_PYTHON = "3.8"
# Ubuntu 18.04 has glibc 2.27: wheels for glibc 2.17 (manylinux2014) to 2.27 load there, manylinux_2_28 ones do not.
CLUSTER_PLATFORMS = ["manylinux_2_27_x86_64", "manylinux2014_x86_64"]
# Console scripts carry the build machine's interpreter path in their shebang; the jobs import, never run, them.
LEFT_OUT_TOP_LEVEL = {"bin"}


def environment_hash(lock_path: str) -> str:
    """The archive's key: the lock and this script, as the app computes it."""
    digest = hashlib.sha256()
    for path in (lock_path, os.path.abspath(__file__)):
        with open(path, "rb") as source:
            digest.update(source.read())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def install(lock_path: str, target: str, python_version: str) -> None:
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
        "--no-deps", "--only-binary=:all:", *[flag for platform in CLUSTER_PLATFORMS for flag in ("--platform", platform)],
        "--python-version", python_version, "--implementation", "cp", "--abi", f"cp{python_version.replace('.', '')}",
        "--target", target, "-r", lock_path,
    ]
    subprocess.run(command, check=True)


def _normalized(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if info.isdir() or info.mode & 0o111:
        info.mode = 0o755
    else:
        info.mode = 0o644
    return info


def write_archive(folder: str, archive: str) -> None:
    """A tar.gz of `folder`'s contents (at the archive's root) whose bytes depend on the files alone."""
    entries = []
    for root, dirs, files in os.walk(folder):
        relative_root = os.path.relpath(root, folder)
        if relative_root == ".":
            dirs[:] = [d for d in dirs if d not in LEFT_OUT_TOP_LEVEL]
        dirs.sort()
        for name in dirs + files:
            entries.append(os.path.normpath(os.path.join(relative_root, name)))
    with open(archive, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as zipped:
        with tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for entry in sorted(entries):
                tar.add(os.path.join(folder, entry), arcname=entry, recursive=False, filter=_normalized)


def pack(lock_path: str, cache_dir: str, python_version: str = CLUSTER_PYTHON) -> str:
    """The archive for the lock, built unless the cache has it; returns its path."""
    key = environment_hash(lock_path)
    if python_version != CLUSTER_PYTHON:
        key = f"{key}-py{python_version}"
    archive = os.path.join(cache_dir, key, ARCHIVE_NAME)
    if os.path.exists(archive):
        return archive
    os.makedirs(os.path.dirname(archive), exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as work:
        target = os.path.join(work, "site")
        install(lock_path, target, python_version)
        partial = os.path.join(work, ARCHIVE_NAME)
        write_archive(target, partial)
        # Renamed into place last: a run that dies midway leaves no archive that looks complete.
        os.replace(partial, archive)
    _remove_older_archives(cache_dir, key)
    return archive


def _remove_older_archives(cache_dir: str, key: str) -> None:
    """Archives of earlier locks (about 150 MB each) go: the cache holds the current one per target Python."""
    suffix = key[16:]
    for name in os.listdir(cache_dir):
        if name != key and len(name) == 16 + len(suffix) and name.endswith(suffix) and all(c in "0123456789abcdef" for c in name[:16]):
            shutil.rmtree(os.path.join(cache_dir, name), ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--lock", default=DEFAULT_LOCK)
    parser.add_argument("--cache", default=DEFAULT_CACHE)
    parser.add_argument("--python-version", default=CLUSTER_PYTHON,
                        help="another target than the cluster's, e.g. for a local check (kept apart in the cache)")
    args = parser.parse_args(argv)
    print(pack(os.path.abspath(args.lock), os.path.abspath(args.cache), args.python_version))
    return 0


if __name__ == "__main__":
    sys.exit(main())
