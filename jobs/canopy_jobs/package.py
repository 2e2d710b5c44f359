"""The portable model package: ONNX files plus manifest.json, written locally then uploaded."""
import datetime
import hashlib
import json
import os
import zipfile

import canopy_jobs

FORMAT_VERSION = 1


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def job_code_sha256(entry_script: str) -> str:
    """sha256 over the entry script and every module of canopy_jobs, in name order.

    The package may be imported from a --py-files zip (cluster) or a directory (local)."""
    digest = hashlib.sha256()
    with open(entry_script, "rb") as handle:
        digest.update(handle.read())
    location = os.path.dirname(canopy_jobs.__file__)
    archive, _, inner = location.partition(".zip")
    if inner:
        with zipfile.ZipFile(archive + ".zip") as bundle:
            for name in sorted(n for n in bundle.namelist() if n.startswith("canopy_jobs/") and n.endswith(".py")):
                digest.update(name.encode())
                digest.update(bundle.read(name))
    else:
        for name in sorted(n for n in os.listdir(location) if n.endswith(".py")):
            digest.update(f"canopy_jobs/{name}".encode())
            with open(os.path.join(location, name), "rb") as handle:
                digest.update(handle.read())
    return digest.hexdigest()


def write(directory: str, files: dict, manifest: dict) -> dict:
    """Write files (name -> bytes) and manifest.json (with every file's sha256) into directory."""
    os.makedirs(directory, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(directory, name), "wb") as handle:
            handle.write(data)
    manifest = dict(
        manifest,
        formatVersion=FORMAT_VERSION,
        createdAt=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        sha256={name: sha256_bytes(data) for name, data in sorted(files.items())},
    )
    with open(os.path.join(directory, "manifest.json"), "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2, sort_keys=True)
    return manifest


def tensor_spec(name: str, dtype: str, shape: list, meaning: str) -> dict:
    return {"name": name, "dtype": dtype, "shape": shape, "meaning": meaning}
