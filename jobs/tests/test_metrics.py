"""Metrics and hyper-parameter validation (no Spark)."""
import numpy as np
import pytest
from sklearn.metrics import auc

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
    assert result["macroRocAuc"] == pytest.approx(np.mean(list(result["rocAuc"].values())))


def test_precision_and_recall_per_class():
    truth = np.array([0, 0, 1, 1, 1, 2])
    predicted = np.array([0, 1, 1, 1, 0, 2])
    result = metrics.classification_metrics(["a", "b", "c"], truth, predicted, np.eye(3)[predicted])
    b = result["precisionRecall"]["b"]
    # b was predicted 3 times, 2 of them right; 3 true b's, 2 found.
    assert (b["precision"], b["recall"], b["support"]) == (pytest.approx(2 / 3), pytest.approx(2 / 3), 3)
    assert b["f1"] == pytest.approx(2 / 3)
    assert b["curve"]["recall"][0] == 1.0 and b["curve"]["recall"][-1] == 0.0


def test_roc_curves_match_their_auc_and_stay_small():
    rng = np.random.default_rng(7)
    truth = rng.integers(0, 3, size=5000)
    scores = rng.random((5000, 3))
    scores[np.arange(5000), truth] += 0.5
    scores /= scores.sum(axis=1, keepdims=True)
    result = metrics.classification_metrics(["a", "b", "c"], truth, scores.argmax(axis=1), scores)
    for label in ["a", "b", "c"]:
        curve = result["rocCurves"][label]
        assert len(curve["fpr"]) <= metrics.MAX_CURVE_POINTS
        assert len(curve["fpr"]) == len(curve["tpr"]) == len(curve["thresholds"])
        assert (curve["fpr"][0], curve["tpr"][0], curve["fpr"][-1], curve["tpr"][-1]) == (0.0, 0.0, 1.0, 1.0)
        assert np.all(np.diff(curve["fpr"]) >= 0)
        assert auc(curve["fpr"], curve["tpr"]) == pytest.approx(result["rocAuc"][label], abs=0.01)


def test_curves_of_a_class_without_negatives_or_positives_are_undefined():
    truth = np.array([0, 0, 0])
    scores = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3]])
    result = metrics.classification_metrics(["a", "b"], truth, np.zeros(3), scores)
    assert result["rocCurves"] == {"a": None, "b": None}
    assert result["precisionRecall"]["b"]["curve"] is None
    assert result["macroRocAuc"] is None


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
