"""Featurize a labelled image folder on the executors with onnxruntime (mapInPandas).

Layout: <root>/<split>/<label>/<file>. Files are read with Spark's binaryFile source so the
root may be any Hadoop URI. A file that does not decode becomes a row with an `error` and no
features: it is counted and skipped, never fatal.
"""
import hashlib
import posixpath
import re
from urllib.parse import unquote

import numpy as np
import pandas as pd
from pyspark.sql import functions as F

from canopy_jobs import images, python_worker, storage

FEATURE_SCHEMA = "split string, path string, label string, features array<float>, error string"
_sessions = {}
# Spark expands glob patterns in load() paths; a class folder named "a[1]" means itself.
_GLOB_CHARACTERS = re.compile(r"([{}\[\]*?\\])")


def label_directories(spark, root: str, split: str) -> list:
    return storage.child_directories(spark, storage.join(root, split))


def list_images(spark, root: str, split: str, sample_fraction: float, seed: int):
    """(split, path, content) of every file under root/split/<label>/, sampled per file.

    The class folders are listed first and loaded by name: a glob over the files themselves
    (root/split/*/*) costs the local filesystem a status call per file, which took longer than
    featurizing the images. The sample keeps a file when a hash of its path and the seed falls
    under the fraction: deterministic whatever the partitioning, and the same fraction of every
    class in expectation.
    """
    folders = [storage.join(root, split, _GLOB_CHARACTERS.sub(r"\\\1", name))
               for name in label_directories(spark, root, split)]
    if not folders:
        return spark.createDataFrame([], "split string, path string, content binary")
    frame = (
        spark.read.format("binaryFile").option("recursiveFileLookup", "true")
        .load(folders)
        .select(F.lit(split).alias("split"), "path", "content")
    )
    if sample_fraction < 1.0:
        bucket = F.abs(F.xxhash64("path", F.lit(seed))) % 1_000_000
        frame = frame.where(bucket < int(sample_fraction * 1_000_000))
    return frame


def cached_session(model_bytes: bytes):
    """One InferenceSession per Python worker and model; one intra-op thread per Spark task.

    Every mapInPandas function of the jobs starts here, in the worker, so this is also where the
    worker's per-task import-cache cost is trimmed (python_worker)."""
    import onnxruntime as ort

    python_worker.reread_archives_only_when_changed()
    key = hashlib.sha256(model_bytes).hexdigest()
    if key not in _sessions:
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        _sessions[key] = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
    return _sessions[key]


def infer(session, contents, preprocessing: dict, batch_size: int, input_name: str, output_names: list):
    """Run a model on encoded images, batch_size at a time.

    Returns (outputs, errors): outputs[name] holds one array per image (None where it did not
    decode), errors one message or None per image."""
    outputs = {name: [] for name in output_names}
    errors = []
    contents = list(contents)
    for start in range(0, len(contents), batch_size):
        tensors = []
        for content in contents[start:start + batch_size]:
            try:
                tensors.append(images.to_tensor(images.decode_pixels(bytes(content)), preprocessing))
                errors.append(None)
            except Exception as error:  # an undecodable file is data, not a job failure
                tensors.append(None)
                errors.append(f"{type(error).__name__}: {error}")
        good = [tensor for tensor in tensors if tensor is not None]
        results = session.run(output_names, {input_name: np.stack(good)}) if good else [[] for _ in output_names]
        for name, result in zip(output_names, results):
            rows = iter(result)
            outputs[name].extend(None if tensor is None else next(rows) for tensor in tensors)
    return outputs, errors


def label_of(path: str) -> str:
    return unquote(posixpath.basename(posixpath.dirname(path)))


def featurize_batches(model_bytes_broadcast, preprocessing: dict, batch_size: int, input_name: str, output_name: str):
    """The mapInPandas function: decode, preprocess and featurize each Arrow batch."""

    def featurize(frames):
        session = cached_session(model_bytes_broadcast.value)
        for frame in frames:
            outputs, errors = infer(session, frame["content"], preprocessing, batch_size, input_name, [output_name])
            yield pd.DataFrame({
                "split": frame["split"],
                "path": frame["path"],
                "label": [label_of(path) for path in frame["path"]],
                "features": [None if row is None else row.astype(np.float32) for row in outputs[output_name]],
                "error": errors,
            })

    return featurize


def arrow_batches_for_images(spark) -> None:
    # Arrow batches of raw image bytes: small enough for large photos, large enough to amortise.
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "512")


def featurize(spark, frame, model_bytes: bytes, preprocessing: dict, batch_size: int,
              input_name: str = "image", output_name: str = "features"):
    """Featurize a frame from list_images into FEATURE_SCHEMA rows."""
    arrow_batches_for_images(spark)
    parallelism = spark.sparkContext.defaultParallelism
    # binaryFile makes one partition per few files; a few large tasks keep the
    # per-task overhead (worker start, session lookup) small next to the CNN.
    frame = frame.coalesce(max(1, parallelism * 4))
    broadcast = spark.sparkContext.broadcast(model_bytes)
    return frame.mapInPandas(
        featurize_batches(broadcast, preprocessing, batch_size, input_name, output_name), FEATURE_SCHEMA
    )
