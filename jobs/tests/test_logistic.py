"""Logistic regression fitted in the driver reaches what Spark's LogisticRegression reaches, as Spark's own model."""
import numpy as np
import pytest

from canopy_jobs import classifiers, linear_fit
from conftest import gaussian_classes

CLASS_COUNT = 4


@pytest.fixture(scope="module")
def blobs(spark):
    return gaussian_classes(spark, seed=13, spread=10, constant_feature=4)


def logistic_objective(model, features, labels, params):
    """Spark's multinomial objective for a model's coefficients on the original features."""
    weights, intercepts = model.coefficientMatrix.toArray(), model.interceptVector.toArray()
    margins = features @ weights.T + intercepts
    top = margins.max(axis=1)
    loss = np.mean(np.log(np.exp(margins - top[:, None]).sum(axis=1)) + top - margins[np.arange(len(labels)), labels])
    scaled = weights * features.std(axis=0, ddof=1) if params["standardization"] else weights
    reg, alpha = params["regParam"], params["elasticNetParam"]
    return loss + 0.5 * reg * (1 - alpha) * np.sum(np.square(scaled)) + reg * alpha * np.sum(np.abs(scaled))


@pytest.mark.parametrize("overrides", [
    {"regParam": 0.01},
    {"regParam": 0.01, "standardization": False},
    {"regParam": 0.02, "elasticNetParam": 0.5},
    {"regParam": 0.01, "fitIntercept": False},
    {"regParam": 0.0, "maxIter": 50},
])
def test_reaches_the_objective_of_sparks_own_logistic_regression(spark, blobs, overrides):
    from pyspark.ml.classification import LogisticRegression, LogisticRegressionModel

    frame, features, labels = blobs
    params = classifiers.resolve_params("logistic_regression", dict({"maxIter": 100}, **overrides))
    ours = classifiers.build("logistic_regression", params, seed=1).fit(frame)
    theirs = LogisticRegression(family="multinomial", labelCol="labelIndex", **params).fit(frame)

    assert isinstance(ours, LogisticRegressionModel) and ours.numClasses == CLASS_COUNT
    assert logistic_objective(ours, features, labels, params) <= logistic_objective(theirs, features, labels, params) * 1.01 + 1e-4
    assert not ours.coefficientMatrix.toArray()[:, 4].any(), "a constant feature gets no weight"
    intercepts = ours.interceptVector.toArray()
    if params["fitIntercept"]:
        assert intercepts.sum() == pytest.approx(0.0, abs=1e-9), "intercepts centred as Spark centres them"
    else:
        assert not intercepts.any()
    if params["regParam"] == 0:
        np.testing.assert_allclose(ours.coefficientMatrix.toArray().sum(axis=0), 0.0, atol=1e-9)
    if params["elasticNetParam"] > 0:
        assert (ours.coefficientMatrix.toArray() == 0).sum() > (4 - 1) * 1, "L1 zeroes some coefficients"
    ours_predicted = ours.transform(frame).select("prediction").toPandas()["prediction"].to_numpy()
    theirs_predicted = theirs.transform(frame).select("prediction").toPandas()["prediction"].to_numpy()
    assert np.mean(ours_predicted == theirs_predicted) >= 0.97


def test_small_rows_fit_in_the_driver_and_larger_ones_on_sparks_own(spark, blobs, monkeypatch):
    from pyspark.ml.classification import LogisticRegression

    frame, _, _ = blobs
    params = classifiers.resolve_params("logistic_regression", {"regParam": 0.01, "maxIter": 40})
    scheduler = spark.sparkContext._jsc.sc().dagScheduler()
    before = scheduler.nextJobId()
    classifiers.build("logistic_regression", params, seed=1).fit(frame)
    assert scheduler.nextJobId() - before <= 6, "collected once, no job per iteration"

    monkeypatch.setattr(linear_fit, "DRIVER_FIT_BYTES", 0)
    large = classifiers.build("logistic_regression", params, seed=1).fit(frame)
    spark_own = LogisticRegression(family="multinomial", labelCol="labelIndex", **params).fit(frame)
    # Spark sums partitions in whatever order they finish: equal up to rounding.
    np.testing.assert_allclose(large.coefficientMatrix.toArray(), spark_own.coefficientMatrix.toArray(), rtol=1e-9, atol=1e-12)


def test_saved_model_loads_back_with_its_parameters(spark, blobs, tmp_path):
    from pyspark.ml.classification import LogisticRegressionModel

    frame, _, _ = blobs
    params = classifiers.resolve_params("logistic_regression", {"regParam": 0.05, "maxIter": 30})
    model = classifiers.build("logistic_regression", params, seed=1).fit(frame)
    model.write().overwrite().save(str(tmp_path / "lr"))
    loaded = LogisticRegressionModel.load(str(tmp_path / "lr"))
    np.testing.assert_array_equal(loaded.coefficientMatrix.toArray(), model.coefficientMatrix.toArray())
    np.testing.assert_array_equal(loaded.interceptVector.toArray(), model.interceptVector.toArray())
    assert loaded.getRegParam() == 0.05 and loaded.getFamily() == "multinomial"
