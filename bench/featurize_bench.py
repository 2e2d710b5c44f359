"""Images per second featurized inside Spark (mapInPandas, the jobs' code) versus a plain
onnxruntime loop over the same images and model, in one run. Run through jobs/spark-submit.sh.

Wall-clock throughput is what the acceptance compares; on a machine shared with other work it
swings with their load, so the passes alternate (best of each counts) and the CPU seconds each
side spends per image (Spark: the driver, its JVM and the Python workers) are reported too: they
barely move with other load and show where Spark's overhead is."""
import argparse
import datetime
import glob
import json
import os
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "jobs"))
from canopy_jobs import image_features, images, onnx_featurizer, training  # noqa: E402

ROUNDS = 5
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_tree_cpu_seconds(root_pid: int) -> float:
    """User + system CPU seconds of a process and all its descendants (Linux /proc)."""
    children, seconds = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we listed
        children.setdefault(int(fields[1]), []).append(int(entry))
        seconds[int(entry)] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    total, pending = 0.0, [root_pid]
    while pending:
        pid = pending.pop()
        total += seconds.get(pid, 0.0)
        pending.extend(children.get(pid, []))
    return total


def spark_pass(spark, folder: str, model_bytes: bytes, preprocessing: dict, batch_size: int) -> tuple:
    """(images, images/s, CPU ms/image) of one pass: list, read, decode, preprocess, featurize."""
    cpu_before = process_tree_cpu_seconds(os.getpid())
    started = time.perf_counter()
    frame = image_features.list_images(spark, folder, "test", 1.0, 0)
    count = image_features.featurize(spark, frame, model_bytes, preprocessing, batch_size) \
        .where("error IS NULL").count()
    seconds = time.perf_counter() - started
    return count, count / seconds, (process_tree_cpu_seconds(os.getpid()) - cpu_before) / count * 1000


def raw_pass(paths: list, model_bytes: bytes, preprocessing: dict, batch_size: int, threads: int) -> tuple:
    """(images/s, CPU ms/image) of decode + preprocess + onnxruntime in this process."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
    cpu_before = time.process_time()
    started = time.perf_counter()
    for start in range(0, len(paths), batch_size):
        batch = []
        for path in paths[start:start + batch_size]:
            with open(path, "rb") as handle:
                batch.append(images.to_tensor(images.decode_pixels(handle.read()), preprocessing))
        session.run([onnx_featurizer.FEATURES_NAME], {onnx_featurizer.INPUT_NAME: np.stack(batch)})
    seconds = time.perf_counter() - started
    return len(paths) / seconds, (time.process_time() - cpu_before) / len(paths) * 1000


def load_average() -> float:
    return round(os.getloadavg()[0], 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", required=True, help="folder with test/<label>/*.png")
    parser.add_argument("--featurizer", required=True)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    with open(args.featurizer, "rb") as handle:
        model_bytes = handle.read()
    preprocessing = onnx_featurizer.read_preprocessing(onnx.load_from_string(model_bytes))
    spark = training.spark_session("canopy-featurize-bench")
    paths = sorted(glob.glob(os.path.join(args.images, "test", "*", "*.png")))
    cores = os.cpu_count()
    spark_pass(spark, args.images, model_bytes, preprocessing, args.batch_size)  # start the Python workers
    load_at_start = load_average()
    # Alternate the two, best of each: a burst of other work then slows one pass of each
    # rather than all of one side.
    # Raw runs with one thread and with one per core, and its better setting is the reference:
    # under other load the spinning intra-op threads can make the one-thread loop faster.
    spark_runs, raw_runs, raw_single_runs = [], [], []
    for _ in range(ROUNDS):
        count, rate, cpu = spark_pass(spark, args.images, model_bytes, preprocessing, args.batch_size)
        spark_runs.append((rate, cpu))
        raw_runs.append(raw_pass(paths, model_bytes, preprocessing, args.batch_size, cores))
        raw_single_runs.append(raw_pass(paths, model_bytes, preprocessing, args.batch_size, 1))
    spark_rate = max(rate for rate, _ in spark_runs)
    raw_threads, raw_single = max(rate for rate, _ in raw_runs), max(rate for rate, _ in raw_single_runs)
    raw_rate = max(raw_threads, raw_single)
    spark_cpu, raw_cpu = min(cpu for _, cpu in spark_runs), min(cpu for _, cpu in raw_single_runs)
    result = {
        "imagesPerSec": round(spark_rate, 1),
        "rawOnnxImagesPerSec": round(raw_rate, 1),
        f"rawOnnx{cores}ThreadsImagesPerSec": round(raw_threads, 1),
        "rawOnnxOneThreadImagesPerSec": round(raw_single, 1),
        "sparkOverRaw": round(spark_rate / raw_rate, 3),
        "cpuMillisecondsPerImage": {"spark": round(spark_cpu, 2), "rawOneThread": round(raw_cpu, 2)},
        "sparkOverRawCpu": round(raw_cpu / spark_cpu, 3),
        "roundsImagesPerSec": {"spark": [round(rate, 1) for rate, _ in spark_runs],
                               f"raw{cores}Threads": [round(rate, 1) for rate, _ in raw_runs],
                               "rawOneThread": [round(rate, 1) for rate, _ in raw_single_runs]},
        "images": count,
        "imageSize": "28x28 greyscale PNG (Fashion-MNIST test images), resized to 224x224",
        "batchSize": args.batch_size,
        "featurizer": os.path.basename(args.featurizer),
        "sparkMaster": spark.sparkContext.master,
        "machineCores": cores,
        "method": "Spark: binaryFile over the listed class folders + mapInPandas (one onnxruntime thread per "
                  "task), each pass timed from listing to the counted rows that force every image through the "
                  "model, after a warm-up pass. Raw: one process, decode + preprocess + onnxruntime with "
                  f"{cores} intra-op threads and with 1, same batch size and the same preprocessing code; "
                  f"rawOnnxImagesPerSec is the better of the two. {ROUNDS} rounds alternating Spark, raw with "
                  f"{cores} threads and raw with 1, best of each. CPU per image: Spark's whole process tree (driver, "
                  "JVM, Python workers), best pass; raw: the one-thread loop, best pass. "
                  "Changed from the 0.809 run: PySpark's worker calls importlib.invalidate_caches() at every "
                  "task, which on CPython 3.10/3.11 re-reads the directory of every zip on the path (pyspark.zip, "
                  "py4j, the jobs' bundle), ~125 ms of CPU per task; the jobs' workers now re-read an archive only "
                  "when it changed (canopy_jobs/python_worker.py). From the 0.677 run: class folders loaded by "
                  "name instead of a glob over the files, and a separable bilinear resize.",
        "loadAverage": {"start": load_at_start, "end": load_average()},
        "note": "measured while other work shared the 2 cores (see loadAverage)",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=2)
        handle.write("\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
