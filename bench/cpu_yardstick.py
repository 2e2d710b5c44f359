"""How fast this machine is today, for comparing timing benchmarks run on different days: images/s
of the prepared SqueezeNet featurizer in one onnxruntime thread, on synthetic 28x28 greyscale images
preprocessed by the jobs' own code (no file reads), best of three passes. The same work as
featurize.json's rawOnnxOneThreadImagesPerSec without the PNG decoding."""
import json
import os
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "jobs"))
from canopy_jobs import images, onnx_featurizer  # noqa: E402

IMAGES, BATCH, PASSES = 320, 16, 3


def main(featurizer_path: str) -> None:
    with open(featurizer_path, "rb") as handle:
        model_bytes = handle.read()
    preprocessing = onnx_featurizer.read_preprocessing(onnx.load_from_string(model_bytes))
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
    pixels = np.random.default_rng(0).integers(0, 256, size=(IMAGES, 28, 28), dtype=np.uint8)
    rates = []
    for _ in range(PASSES):
        started = time.perf_counter()
        for start in range(0, IMAGES, BATCH):
            batch = np.stack([images.to_tensor(image, preprocessing) for image in pixels[start:start + BATCH]])
            session.run([onnx_featurizer.FEATURES_NAME], {onnx_featurizer.INPUT_NAME: batch})
        rates.append(IMAGES / (time.perf_counter() - started))
    print(json.dumps({"onnxOneThreadImagesPerSec": round(max(rates), 1), "featurizer": os.path.basename(featurizer_path)}))


if __name__ == "__main__":
    main(sys.argv[1])
