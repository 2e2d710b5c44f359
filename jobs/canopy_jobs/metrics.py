"""Classification metrics computed from held-out predictions (numpy, on the driver)."""
import numpy as np


def roc_auc(positive: np.ndarray, scores: np.ndarray):
    """Area under the ROC curve by the rank-sum statistic (ties share their average rank).

    None when the class has no positive or no negative example: the area is undefined then.
    """
    positives = int(positive.sum())
    negatives = len(positive) - positives
    if positives == 0 or negatives == 0:
        return None
    order = np.argsort(scores, kind="mergesort")
    _, first, counts = np.unique(scores[order], return_index=True, return_counts=True)
    ranks = np.empty(len(scores), dtype=np.float64)
    ranks[order] = np.repeat(first + (counts - 1) / 2.0 + 1.0, counts)
    rank_sum = ranks[positive.astype(bool)].sum()
    return float((rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives))


def classification_metrics(labels: list, truth: np.ndarray, predicted: np.ndarray, scores: np.ndarray) -> dict:
    """labels: names in index order; truth/predicted: label indices; scores: N x len(labels)."""
    size = len(labels)
    matrix = np.zeros((size, size), dtype=np.int64)
    np.add.at(matrix, (truth.astype(np.int64), predicted.astype(np.int64)), 1)
    support = matrix.sum(axis=1)
    per_class = {
        label: (float(matrix[index, index] / support[index]) if support[index] else None)
        for index, label in enumerate(labels)
    }
    present = [value for value in per_class.values() if value is not None]
    return {
        "accuracy": float(np.trace(matrix) / max(1, matrix.sum())),
        "classAverageAccuracy": float(np.mean(present)) if present else 0.0,
        "perClassAccuracy": per_class,
        "confusionMatrix": {"labels": list(labels), "matrix": matrix.tolist(), "rows": "true label", "columns": "predicted label"},
        "rocAuc": {label: roc_auc(truth == index, scores[:, index]) for index, label in enumerate(labels)},
    }
