"""Parity of the new classifiers' ONNX heads with Spark, on float32 features like the featurizer's."""
import re

import numpy as np
import onnxruntime as ort
import pytest

from canopy_jobs import classifiers, onnx_heads
from canopy_jobs.cli import JobError

CLASS_COUNT = 4
FEATURE_COUNT = 6
NEW_CLASSIFIERS = {
    "multilayer_perceptron": {"hiddenUnits": 8, "hiddenLayers": 2, "maxIter": 60},
    "gradient_boosted_trees": {"maxIter": 6, "maxDepth": 3},
}


@pytest.fixture(scope="module")
def blobs(spark):
    """Overlapping Gaussian classes, offset and scaled like CNN activations (non-negative, tens)."""
    from pyspark.ml.linalg import Vectors

    rng = np.random.default_rng(7)
    centres = rng.uniform(0, 30, size=(CLASS_COUNT, FEATURE_COUNT))
    labels = rng.integers(0, CLASS_COUNT, size=400)
    features = (centres[labels] + rng.normal(0, 8, size=(400, FEATURE_COUNT))).astype(np.float32)
    rows = [(float(label), Vectors.dense(row.astype(np.float64))) for label, row in zip(labels, features)]
    return spark.createDataFrame(rows, ["labelIndex", "features"]), features


@pytest.mark.parametrize("classifier", list(NEW_CLASSIFIERS))
def test_onnx_head_predicts_what_spark_predicts(spark, blobs, tmp_path, classifier):
    from pyspark.ml.functions import vector_to_array

    frame, features = blobs
    params = classifiers.resolve_params(classifier, NEW_CLASSIFIERS[classifier])
    # No counts given: the perceptron reads its layer sizes from the rows.
    estimator = classifiers.build(classifier, params, seed=5)
    saved = str(tmp_path / "spark-model")
    estimator.fit(frame).write().overwrite().save(saved)
    model = classifiers.model_class(classifier).load(saved)

    predicted = model.transform(frame).select(
        "prediction", vector_to_array(classifiers.score_column(classifier)).alias("scores")).toPandas()
    head = classifiers.onnx_head(spark, classifier, model, saved, FEATURE_COUNT, CLASS_COUNT, 13, 7)
    session = ort.InferenceSession(head.SerializeToString(), providers=["CPUExecutionProvider"])
    labels, scores = session.run([onnx_heads.LABEL, onnx_heads.PROBABILITIES], {onnx_heads.FEATURES: features})

    if classifier == "multilayer_perceptron":
        assert model.stages[1].getLayers() == [FEATURE_COUNT, 8, 8, CLASS_COUNT]
    spark_labels = predicted["prediction"].to_numpy().astype(int)
    assert len(set(spark_labels)) > 1, "a one-class model would make the comparison trivial"
    np.testing.assert_array_equal(labels, spark_labels)
    np.testing.assert_allclose(scores, np.stack(predicted["scores"].to_numpy()), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("classifier,params", [("linear_svm", {"maxIter": 20}), ("gradient_boosted_trees", {"maxIter": 3})])
def test_one_vs_rest_models_transform_in_the_jvm_as_pyspark_transforms(spark, blobs, classifier, params):
    from pyspark.ml.functions import vector_to_array

    frame, _ = blobs
    model = classifiers.build(classifier, classifiers.resolve_params(classifier, params), seed=5).fit(frame)

    def collected(transformed):
        return transformed.select("prediction", vector_to_array("rawPrediction").alias("margins"), "features").toPandas()

    ours, pyspark_own = collected(classifiers.transform(model, frame)), collected(model.transform(frame))
    assert len(set(ours["prediction"])) > 1
    np.testing.assert_array_equal(ours["prediction"].to_numpy(), pyspark_own["prediction"].to_numpy())
    np.testing.assert_allclose(np.stack(ours["margins"].to_numpy()), np.stack(pyspark_own["margins"].to_numpy()))
    assert np.stack(ours["margins"].to_numpy()).shape == (400, CLASS_COUNT)


def test_perceptron_head_can_take_double_features_from_a_scaling_pipeline():
    layers = [(np.eye(2), np.zeros(2)), (np.array([[1.0, -1.0], [-1.0, 1.0]]), np.zeros(2))]
    head = onnx_heads.perceptron_head(layers, np.zeros(2), np.ones(2), 13, 7, double_input=True)
    session = ort.InferenceSession(head.SerializeToString(), providers=["CPUExecutionProvider"])
    labels, _ = session.run([onnx_heads.LABEL, onnx_heads.PROBABILITIES],
                            {onnx_heads.FEATURES: np.array([[3.0, -3.0], [-3.0, 3.0]])})
    assert labels.tolist() == [0, 1]


@pytest.mark.parametrize("classifier,params,message", [
    ("multilayer_perceptron", {"hiddenUnits": 0}, "hiddenUnits=0 must be in [1, 4096]"),
    ("multilayer_perceptron", {"solver": "adam"}, "solver='adam' must be one of l-bfgs, gd"),
    ("gradient_boosted_trees", {"stepSize": 0}, "stepSize=0 must be in (0, 1]"),
    ("gradient_boosted_trees", {"numTrees": 5}, "unknown hyper-parameter 'numTrees'"),
])
def test_bad_hyper_parameters_of_the_new_classifiers_are_named(classifier, params, message):
    with pytest.raises(JobError, match=re.escape(message)):
        classifiers.resolve_params(classifier, params)


def test_trees_are_named_for_unscaled_features():
    assert set(classifiers.TREE_CLASSIFIERS) == {"random_forest", "gradient_boosted_trees"}
    assert set(classifiers.TREE_CLASSIFIERS) < set(classifiers.CLASSIFIERS)
