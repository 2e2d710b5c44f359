"""What image_train and workload_train share: stage timing, evaluation, heads, outputs."""
import contextlib
import json
import time

import numpy as np
import onnxruntime as ort

from canopy_jobs import classifiers, metrics, storage


class StageTimer:
    """Wall seconds per named stage, for metrics.json's durationsSeconds."""

    def __init__(self):
        self.seconds = {}

    @contextlib.contextmanager
    def stage(self, name: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - started, 3)


def spark_session(app_name: str):
    from pyspark.sql import SparkSession

    return SparkSession.builder.appName(app_name).getOrCreate()


def start_output(spark, output: str) -> None:
    """A rerun into the same output must not leave an old _SUCCESS standing while it works."""
    storage.delete(spark, storage.join(output, "_SUCCESS"))


def collect_predictions(predictions, score_column: str, extra_columns=()):
    """Driver-side pandas frame of labelIndex, prediction, scores (and extra columns)."""
    from pyspark.ml.functions import vector_to_array

    columns = ["labelIndex", "prediction", vector_to_array(score_column).alias("scores"), *extra_columns]
    return predictions.select(*columns).toPandas()


def evaluate(frame, labels: list) -> dict:
    scores = np.stack(frame["scores"].to_numpy()) if len(frame) else np.zeros((0, len(labels)))
    return metrics.classification_metrics(
        labels, frame["labelIndex"].to_numpy().astype(int), frame["prediction"].to_numpy().astype(int), scores
    )


def forest_stage_uri(spark, pipeline_uri: str) -> str:
    """The classifier is the last stage of a saved PipelineModel (stage folders start with their index)."""
    stages = storage.join(pipeline_uri, "stages")
    names = storage.child_directories(spark, stages)
    return storage.join(stages, max(names, key=lambda name: int(name.split("_", 1)[0])))


def build_head(spark, classifier: str, model, saved_model_uri: str, feature_count: int, class_count: int,
               opset: int, ir_version: int, double_input=False):
    """saved_model_uri: where the classifier model itself (not a pipeline) was saved."""
    return classifiers.onnx_head(spark, classifier, model, saved_model_uri, feature_count, class_count,
                                 opset, ir_version, double_input)


def onnx_session(model_bytes: bytes) -> ort.InferenceSession:
    return ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])


def agreement(expected, actual) -> float:
    expected, actual = np.asarray(expected), np.asarray(actual)
    return float((expected == actual).mean()) if len(expected) else 1.0


def upload_package(spark, output: str, package_dir: str) -> None:
    storage.upload_directory(spark, package_dir, storage.join(output, "model"))


def write_metrics(spark, output: str, metrics_document: dict) -> None:
    """metrics.json, then _SUCCESS last: a reader that sees _SUCCESS sees the whole output."""
    storage.write_text(spark, storage.join(output, "metrics.json"), json.dumps(metrics_document, indent=2, sort_keys=True))
    storage.write_text(spark, storage.join(output, "_SUCCESS"), "")

