"""Shared fixtures: one local Spark session for the whole suite and small generated data sets."""
import io
import os
import sys

import numpy as np
import pytest
from PIL import Image

JOBS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_ROOT = os.path.dirname(JOBS_DIR)
SHARED_DATA = os.environ.get("CANOPY_SHARED_DATA", os.path.join(REPO_ROOT, "..", "shared", "data"))
SQUEEZENET = os.path.join(SHARED_DATA, "models", "squeezenet1.1", "squeezenet1.1-fp16.onnx")
PREPARED_FEATURIZER = os.path.join(REPO_ROOT, ".canopy", "models", "squeezenet1.1-pooled.onnx")
FASHION_MNIST = "/usr/share/datasets/fashion-mnist"
SHAPE_CLASSES = ["circle", "square", "stripes"]
EMPTY_CLASS = "empty_class"

sys.path.insert(0, JOBS_DIR)
from canopy_jobs import bundle  # noqa: E402


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("canopy-jobs-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    # Executors import canopy_jobs from the same zip spark-submit.sh ships.
    session.sparkContext.addPyFile(bundle.write_bundle(JOBS_DIR, str(tmp_path_factory.mktemp("bundle") / "canopy_jobs.zip")))
    yield session
    session.stop()


@pytest.fixture(scope="session")
def featurizer(tmp_path_factory):
    """The pooled SqueezeNet that setup.sh prepares, or a fresh one when setup has not run."""
    if os.path.exists(PREPARED_FEATURIZER):
        return PREPARED_FEATURIZER
    if not os.path.exists(SQUEEZENET):
        pytest.skip(f"{SQUEEZENET} is absent; run jobs/setup.sh for where to get it")
    import prepare_featurizer

    output = str(tmp_path_factory.mktemp("featurizer") / "pooled.onnx")
    assert prepare_featurizer.main(["--model", SQUEEZENET, "--layer", "fire9/concat_1", "--output", output]) == 0
    return output


def shape_image(kind: str, rng) -> np.ndarray:
    """A light shape on a dark background, in a random size; easy for an ImageNet CNN to tell apart."""
    height, width = int(rng.integers(28, 96)), int(rng.integers(28, 96))
    y, x = np.mgrid[0:height, 0:width]
    if kind == "circle":
        radius = min(height, width) * rng.uniform(0.25, 0.45)
        mask = (y - height / 2) ** 2 + (x - width / 2) ** 2 < radius ** 2
    elif kind == "square":
        half = min(height, width) * rng.uniform(0.2, 0.4)
        mask = (abs(y - height / 2) < half) & (abs(x - width / 2) < half)
    else:
        period = int(rng.integers(4, 9))
        mask = (y // period) % 2 == 0
    return np.where(mask, rng.integers(180, 255), rng.integers(0, 60)).astype(np.uint8)


def encode(pixels: np.ndarray, index: int) -> tuple:
    """Alternate greyscale PNG, RGB PNG and RGB JPEG so every decode path is exercised."""
    variant = index % 3
    image = Image.fromarray(pixels, mode="L")
    if variant:
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG" if variant == 2 else "PNG")
    return buffer.getvalue(), "jpg" if variant == 2 else "png"


@pytest.fixture(scope="session")
def shapes_dataset(tmp_path_factory):
    """train/<label>/ and test/<label>/ of three shape classes, an empty class folder and one corrupt file."""
    root = tmp_path_factory.mktemp("shapes")
    rng = np.random.default_rng(7)
    for split, count in (("train", 14), ("test", 6)):
        for label in SHAPE_CLASSES:
            folder = root / split / label
            folder.mkdir(parents=True)
            for index in range(count):
                data, extension = encode(shape_image(label, rng), index)
                (folder / f"{label}-{index:03d}.{extension}").write_bytes(data)
        (root / split / EMPTY_CLASS).mkdir()
    (root / "train" / "circle" / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    return str(root)


@pytest.fixture(scope="session")
def workload_csv(tmp_path_factory):
    """A small generated session log: 3 days, 6 servers, 5% dirty rows."""
    import workload_generate

    path = str(tmp_path_factory.mktemp("workload") / "sessions.csv")
    assert workload_generate.main(["--output", path, "--rows", "40000", "--days", "3", "--servers", "6",
                                   "--dirty-fraction", "0.05", "--seed", "11"]) == 0
    return path


@pytest.fixture(scope="session")
def workload_etl_output(spark, workload_csv, tmp_path_factory):
    import workload_etl

    output = str(tmp_path_factory.mktemp("etl") / "out")
    assert workload_etl.main(["--input", workload_csv, "--output", output]) == 0
    return output


IMAGE_PARAMS = {
    "logistic_regression": {"regParam": 0.01, "maxIter": 50},
    "random_forest": {"numTrees": 10, "maxDepth": 4},
    "linear_svm": {"regParam": 0.01, "maxIter": 50},
}


def train_image_candidate(dataset, featurizer, output, classifier, params, *extra):
    import json

    import image_train

    return image_train.main(["--input", dataset, "--output", str(output), "--featurizer", featurizer,
                             "--classifier", classifier, "--params", json.dumps(params), "--seed", "3", *extra])


@pytest.fixture(scope="session")
def trained(spark, shapes_dataset, featurizer, tmp_path_factory):
    """One finished image_train run per classifier, sharing features through --features-cache."""
    cache = str(tmp_path_factory.mktemp("cache") / "features")
    outputs = {}
    for classifier, params in IMAGE_PARAMS.items():
        output = tmp_path_factory.mktemp(classifier) / "out"
        assert train_image_candidate(shapes_dataset, featurizer, output, classifier, params,
                                     "--features-cache", cache) == 0
        outputs[classifier] = output
    return outputs


def gaussian_classes(spark, seed: int, spread: float, constant_feature: int, classes=4, features=6, rows=400):
    """Overlapping Gaussian classes like CNN activations (non-negative, tens), cached in two partitions, with one
    feature that never varies: (frame of labelIndex/features, the features, the labels)."""
    from pyspark.ml.linalg import Vectors

    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 30, size=(classes, features))
    labels = rng.integers(0, classes, size=rows)
    values = centres[labels] + rng.normal(0, spread, size=(rows, features))
    values[:, constant_feature] = 4.5
    frame = spark.createDataFrame([(float(label), Vectors.dense(row)) for label, row in zip(labels, values)],
                                  ["labelIndex", "features"])
    return frame.coalesce(2).cache(), values, labels
