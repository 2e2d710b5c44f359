"""image_train end to end on a small shape data set, in the suite's Spark session."""
import hashlib
import json
import os

import numpy as np
import onnxruntime as ort
import pytest

from canopy_jobs import classifiers, image_features, images
from conftest import EMPTY_CLASS, IMAGE_PARAMS, SHAPE_CLASSES, train_image_candidate


def read_json(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def test_outputs_and_metrics(trained):
    output = trained["logistic_regression"]
    assert set(os.listdir(output)) >= {"_SUCCESS", "metrics.json", "model", "spark-model"}
    metrics = read_json(output / "metrics.json")
    for key in ("accuracy", "classAverageAccuracy", "perClassAccuracy", "confusionMatrix", "rocAuc", "rows",
                "skippedFiles", "durationsSeconds", "classifier", "featurizer", "params"):
        assert key in metrics
    assert metrics["labels"] == SHAPE_CLASSES
    assert metrics["confusionMatrix"]["labels"] == SHAPE_CLASSES
    assert metrics["rows"] == {"train": 42, "test": 18}
    assert metrics["accuracy"] >= 0.8
    assert set(metrics["rocAuc"]) == set(SHAPE_CLASSES)
    assert set(metrics["durationsSeconds"]) == {"load", "featurize", "train", "evaluate", "package"}


def test_corrupt_file_is_counted_and_skipped(trained):
    metrics = read_json(trained["logistic_regression"] / "metrics.json")
    assert metrics["skippedFiles"] == 1
    assert metrics["skippedFileExamples"][0]["path"].endswith("corrupt.png")


def test_empty_class_folder_is_reported_not_fatal(trained):
    assert read_json(trained["random_forest"] / "metrics.json")["emptyClasses"] == [EMPTY_CLASS]


def test_later_candidates_reuse_cached_features(trained):
    assert read_json(trained["logistic_regression"] / "metrics.json")["featuresFromCache"] is False
    assert read_json(trained["linear_svm"] / "metrics.json")["featuresFromCache"] is True


def test_manifest_describes_and_hashes_the_package(trained):
    package = trained["random_forest"] / "model"
    manifest = read_json(package / "manifest.json")
    assert manifest["formatVersion"] == 1 and manifest["task"] == "image-classification"
    assert manifest["labels"] == SHAPE_CLASSES
    assert manifest["model"]["inputs"][0] == {"name": "image", "dtype": "float32", "shape": ["N", 3, 224, 224],
                                              "meaning": "preprocessed images, see preprocessing"}
    assert [spec["name"] for spec in manifest["model"]["outputs"]] == ["label", "probabilities"]
    assert manifest["preprocessing"]["channelOrder"] == "BGR"
    assert manifest["lineage"]["seed"] == 3 and len(manifest["lineage"]["jobCodeSha256"]) == 64
    for name, digest in manifest["sha256"].items():
        assert hashlib.sha256((package / name).read_bytes()).hexdigest() == digest


@pytest.mark.parametrize("classifier", list(IMAGE_PARAMS))
def test_package_predicts_the_same_labels_as_spark(spark, trained, shapes_dataset, featurizer, classifier):
    """The parity test: model.onnx on raw test images == the saved Spark model on Spark's features."""
    from pyspark.ml.functions import array_to_vector

    output = trained[classifier]
    manifest = read_json(output / "model" / "manifest.json")
    labels = manifest["labels"]
    with open(featurizer, "rb") as handle:
        featurizer_bytes = handle.read()
    preprocessing = images.from_description(manifest["preprocessing"])
    test_images = image_features.list_images(spark, shapes_dataset, "test", 1.0, 0)
    features = image_features.featurize(spark, test_images, featurizer_bytes, preprocessing, 8) \
        .where("error IS NULL").select("path", array_to_vector("features").alias("features"))
    model = classifiers.model_class(classifier).load(str(output / "spark-model"))
    spark_labels = {row["path"]: labels[int(row["prediction"])] for row in model.transform(features).collect()}

    session = ort.InferenceSession(str(output / "model" / "model.onnx"), providers=["CPUExecutionProvider"])
    paths = sorted(spark_labels)
    batch = []
    for path in paths:
        with open(path.replace("file:", "", 1), "rb") as handle:
            batch.append(images.to_tensor(images.decode_rgb(handle.read()), preprocessing))
    label_index, probabilities = session.run(["label", "probabilities"], {"image": np.stack(batch)})
    assert [labels[index] for index in label_index] == [spark_labels[path] for path in paths]
    assert probabilities.shape == (len(paths), len(labels))
    assert read_json(output / "metrics.json")["packageAgreement"] == 1.0


@pytest.mark.parametrize("params,message", [
    ({"regParam": -1}, "regParam=-1 must be >= 0"),
    ({"learningRate": 0.1}, "unknown hyper-parameter 'learningRate'"),
])
def test_bad_hyper_parameter_fails_cleanly(shapes_dataset, featurizer, tmp_path, capsys, params, message):
    output = tmp_path / "out"
    assert train_image_candidate(shapes_dataset, featurizer, output, "logistic_regression", params) == 1
    assert message in capsys.readouterr().err
    assert not (output / "_SUCCESS").exists()


def test_missing_input_fails_cleanly(spark, featurizer, tmp_path, capsys):
    output = tmp_path / "out"
    assert train_image_candidate(str(tmp_path / "nothing-here"), featurizer, output, "random_forest", {}) == 1
    assert "no class folders" in capsys.readouterr().err
    assert not (output / "_SUCCESS").exists()


def test_onnx_runtime_accepts_a_fashion_mnist_sized_greyscale_image(trained):
    manifest = read_json(trained["linear_svm"] / "model" / "manifest.json")
    import io

    from PIL import Image
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (28, 28), dtype=np.uint8), mode="L").save(buffer, "PNG")
    tensor = images.to_tensor(images.decode_rgb(buffer.getvalue()), images.from_description(manifest["preprocessing"]))
    session = ort.InferenceSession(str(trained["linear_svm"] / "model" / "model.onnx"), providers=["CPUExecutionProvider"])
    label, probabilities = session.run(None, {"image": tensor[None]})
    assert label.shape == (1,) and 0 <= label[0] < len(manifest["labels"])
    assert probabilities.sum() == pytest.approx(1.0, rel=1e-5)
