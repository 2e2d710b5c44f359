"""Images per second featurized inside Spark (mapInPandas, the jobs' code) versus a plain
onnxruntime loop over the same images and model. Run through jobs/spark-submit.sh."""
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


def spark_images_per_second(spark, folder: str, model_bytes: bytes, preprocessing: dict, batch_size: int) -> tuple:
    def run():
        frame = image_features.list_images(spark, folder, "test", 1.0, 0)
        return image_features.featurize(spark, frame, model_bytes, preprocessing, batch_size) \
            .where("error IS NULL").count()

    run()  # start the Python workers and their sessions; a long-lived cluster has them warm
    started = time.perf_counter()
    count = run()
    return count, count / (time.perf_counter() - started)


def raw_images_per_second(paths: list, model_bytes: bytes, preprocessing: dict, batch_size: int, threads: int) -> float:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
    started = time.perf_counter()
    for start in range(0, len(paths), batch_size):
        batch = []
        for path in paths[start:start + batch_size]:
            with open(path, "rb") as handle:
                batch.append(images.to_tensor(images.decode_rgb(handle.read()), preprocessing))
        session.run([onnx_featurizer.FEATURES_NAME], {onnx_featurizer.INPUT_NAME: np.stack(batch)})
    return len(paths) / (time.perf_counter() - started)


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
    count, spark_rate = spark_images_per_second(spark, args.images, model_bytes, preprocessing, args.batch_size)
    paths = sorted(glob.glob(os.path.join(args.images, "test", "*", "*.png")))
    cores = os.cpu_count()
    raw_rate = raw_images_per_second(paths, model_bytes, preprocessing, args.batch_size, cores)
    raw_single = raw_images_per_second(paths, model_bytes, preprocessing, args.batch_size, 1)
    result = {
        "imagesPerSec": round(spark_rate, 1),
        "rawOnnxImagesPerSec": round(raw_rate, 1),
        "rawOnnxOneThreadImagesPerSec": round(raw_single, 1),
        "sparkOverRaw": round(spark_rate / raw_rate, 3),
        "images": count,
        "imageSize": "28x28 greyscale PNG (Fashion-MNIST test images), resized to 224x224",
        "batchSize": args.batch_size,
        "featurizer": os.path.basename(args.featurizer),
        "sparkMaster": spark.sparkContext.master,
        "machineCores": cores,
        "method": "Spark: binaryFile + mapInPandas (one onnxruntime thread per task), timed after a warm-up pass, "
                  "counted rows forcing every image through the model. Raw: one process, decode + preprocess + "
                  f"onnxruntime with {cores} intra-op threads, same batch size.",
        "note": "measured while other test suites may share the 2 cores",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=2)
        handle.write("\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
