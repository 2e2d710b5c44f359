"""The linear SVM fitted jointly reaches what Spark's OneVsRest(LinearSVC) reaches, in one job per optimiser step."""
import numpy as np
import pytest

from canopy_jobs import classifiers, linear_fit
from canopy_jobs.cli import JobError
from conftest import gaussian_classes

CLASS_COUNT = 4


@pytest.fixture(scope="module")
def blobs(spark):
    return gaussian_classes(spark, seed=11, spread=8, constant_feature=2)


def linear_svc_objective(weights, intercept, features, signs, reg, standardization):
    """LinearSVC's objective of one class, for coefficients on the original features."""
    std = features.std(axis=0, ddof=1)
    hinge = np.maximum(0.0, 1.0 - signs * (features @ weights + intercept)).mean()
    scaled = weights * std if standardization else weights
    return hinge + 0.5 * reg * np.sum(np.square(scaled))


def spark_objectives(model, features, labels, params):
    return np.array([
        linear_svc_objective(binary.coefficients.toArray(), binary.intercept, features,
                             np.where(labels == index, 1.0, -1.0), params["regParam"], params["standardization"])
        for index, binary in enumerate(model.models)])


@pytest.mark.parametrize("overrides", [
    {},
    {"standardization": False},
    {"fitIntercept": False},
])
def test_each_class_reaches_the_objective_of_sparks_own_one_vs_rest(spark, blobs, overrides):
    from pyspark.ml.classification import LinearSVC, OneVsRest

    frame, features, labels = blobs
    params = classifiers.resolve_params("linear_svm", dict({"regParam": 0.01, "maxIter": 100}, **overrides))
    joint = classifiers.build("linear_svm", params, seed=1).fit(frame)
    own = OneVsRest(classifier=LinearSVC(**params), labelCol="labelIndex").fit(frame)

    ours, theirs = spark_objectives(joint, features, labels, params), spark_objectives(own, features, labels, params)
    assert len(ours) == CLASS_COUNT
    np.testing.assert_array_less(ours, theirs * 1.01 + 1e-4)
    if not params["fitIntercept"]:
        assert all(binary.intercept == 0.0 for binary in joint.models)
    assert all(binary.coefficients[2] == 0.0 for binary in joint.models), "a constant feature gets no weight"
    predicted = classifiers.transform(joint, frame).select("prediction").toPandas()["prediction"].to_numpy()
    reference = classifiers.transform(own, frame).select("prediction").toPandas()["prediction"].to_numpy()
    assert np.mean(predicted == reference) >= 0.97


def fit_counting_jobs(spark, frame, params):
    scheduler = spark.sparkContext._jsc.sc().dagScheduler()
    before = scheduler.nextJobId()
    model = classifiers.build("linear_svm", params, seed=1).fit(frame)
    return model, scheduler.nextJobId() - before


def test_rows_too_big_for_the_driver_fit_every_class_in_one_spark_job_per_step(spark, blobs, monkeypatch):
    frame, _, _ = blobs
    params = classifiers.resolve_params("linear_svm", {"regParam": 0.01, "maxIter": 30})
    in_driver, driver_jobs = fit_counting_jobs(spark, frame, params)
    monkeypatch.setattr(linear_fit, "DRIVER_FIT_BYTES", 0)
    on_executors, jobs = fit_counting_jobs(spark, frame, params)
    # L-BFGS evaluates about once per step; the first steps' line searches may try a few points.
    assert 10 <= jobs <= 2 * params["maxIter"] + 5
    assert driver_jobs <= 4, "small rows are collected once and fitted without a job per step"
    for driver, executors in zip(in_driver.models, on_executors.models):
        np.testing.assert_allclose(driver.coefficients.toArray(), executors.coefficients.toArray(), rtol=1e-9, atol=1e-12)
        assert driver.intercept == pytest.approx(executors.intercept, rel=1e-9, abs=1e-12)


def test_saved_model_is_sparks_one_vs_rest_and_loads_back(spark, blobs, tmp_path):
    from pyspark.ml.classification import LinearSVCModel, OneVsRestModel

    frame, _, _ = blobs
    model = classifiers.build("linear_svm", classifiers.resolve_params("linear_svm", {"maxIter": 20}), seed=1).fit(frame)
    model.write().overwrite().save(str(tmp_path / "svm"))
    loaded = OneVsRestModel.load(str(tmp_path / "svm"))
    assert all(isinstance(binary, LinearSVCModel) for binary in loaded.models)
    assert loaded.getClassifier().getMaxIter() == 20
    for saved, read in zip(model.models, loaded.models):
        np.testing.assert_array_equal(saved.coefficients.toArray(), read.coefficients.toArray())
        assert saved.intercept == read.intercept


def test_no_iterations_leave_every_coefficient_zero(spark, blobs):
    frame, _, _ = blobs
    model = classifiers.build("linear_svm", classifiers.resolve_params("linear_svm", {"maxIter": 0}), seed=1).fit(frame)
    assert all(not binary.coefficients.toArray().any() and binary.intercept == 0.0 for binary in model.models)


@pytest.mark.parametrize("label", [-1.0, 1.5])
def test_labels_that_are_not_class_indices_fail_with_a_clear_message(spark, label):
    from pyspark.ml.linalg import Vectors

    frame = spark.createDataFrame([(0.0, Vectors.dense([1.0, 2.0])), (label, Vectors.dense([2.0, 1.0]))],
                                  ["labelIndex", "features"])
    with pytest.raises(JobError, match="class indices"):
        classifiers.build("linear_svm", classifiers.resolve_params("linear_svm", {}), seed=1).fit(frame)


def test_no_rows_fail_with_a_clear_message(spark, blobs):
    frame, _, _ = blobs
    with pytest.raises(JobError, match="no training rows"):
        classifiers.build("linear_svm", classifiers.resolve_params("linear_svm", {}), seed=1).fit(frame.limit(0))
