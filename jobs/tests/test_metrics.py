"""Metrics and hyper-parameter validation (no Spark)."""
import numpy as np
import pytest

from canopy_jobs import classifiers, metrics
from canopy_jobs.cli import JobError


def test_roc_auc_counts_ties_as_half():
    assert metrics.roc_auc(np.array([1, 0, 1, 0]), np.array([0.9, 0.1, 0.5, 0.5])) == pytest.approx(0.875)
    assert metrics.roc_auc(np.array([1, 1]), np.array([0.2, 0.3])) is None


def test_classification_metrics():
    truth = np.array([0, 0, 1, 1, 1, 2])
    predicted = np.array([0, 1, 1, 1, 0, 2])
    scores = np.eye(3)[predicted]
    result = metrics.classification_metrics(["a", "b", "c"], truth, predicted, scores)
    assert result["accuracy"] == pytest.approx(4 / 6)
    assert result["perClassAccuracy"] == pytest.approx({"a": 0.5, "b": 2 / 3, "c": 1.0})
    assert result["classAverageAccuracy"] == pytest.approx((0.5 + 2 / 3 + 1) / 3)
    assert result["confusionMatrix"]["labels"] == ["a", "b", "c"]
    assert result["confusionMatrix"]["matrix"] == [[1, 1, 0], [1, 2, 0], [0, 0, 1]]
    assert result["rocAuc"]["c"] == 1.0


def test_params_default_and_validate():
    resolved = classifiers.resolve_params("random_forest", {"numTrees": 5})
    assert resolved["numTrees"] == 5 and resolved["maxDepth"] == 5
    with pytest.raises(JobError, match="regParam=-1 must be >= 0"):
        classifiers.resolve_params("logistic_regression", {"regParam": -1})
    with pytest.raises(JobError, match="unknown hyper-parameter 'depth'"):
        classifiers.resolve_params("random_forest", {"depth": 3})
    with pytest.raises(JobError, match="numTrees=2.5 must be an integer"):
        classifiers.resolve_params("random_forest", {"numTrees": 2.5})
    with pytest.raises(JobError, match="unknown classifier"):
        classifiers.resolve_params("knn", {})
