"""Classification metrics computed from held-out predictions (scikit-learn, on the driver)."""
import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_curve, precision_recall_fscore_support, roc_auc_score, roc_curve

# Curves go into metrics.json and from there into the run history's documents: thinned to this many points per class,
# which draws the same curve at dashboard size and keeps ten classes' curves to a few tens of KiB.
MAX_CURVE_POINTS = 101


def _thin(*columns: np.ndarray) -> list:
    """Evenly spaced points of equally long columns, first and last always kept, as floats to 4 places (a pixel at any size)."""
    length = len(columns[0])
    keep = np.unique(np.linspace(0, length - 1, num=min(length, MAX_CURVE_POINTS)).round().astype(np.int64))
    return [[round(float(value), 4) for value in np.nan_to_num(column[keep], posinf=1.0, neginf=0.0)] for column in columns]


def roc_auc(positive: np.ndarray, scores: np.ndarray):
    """One-vs-rest area under the ROC curve; None when the class has no positive or no negative example."""
    positive = positive.astype(bool)
    if positive.all() or not positive.any():
        return None
    return float(roc_auc_score(positive, scores))


def roc_points(positive: np.ndarray, scores: np.ndarray):
    """One-vs-rest ROC curve {fpr, tpr, thresholds}; None when it is undefined (no positive or no negative)."""
    positive = positive.astype(bool)
    if positive.all() or not positive.any():
        return None
    fpr, tpr, thresholds = roc_curve(positive, scores)
    fpr, tpr, thresholds = _thin(fpr, tpr, thresholds)
    return {"fpr": fpr, "tpr": tpr, "thresholds": thresholds}


def precision_recall(positive: np.ndarray, scores: np.ndarray):
    """One-vs-rest precision/recall curve {precision, recall}; None when the class has no positive example."""
    positive = positive.astype(bool)
    if not positive.any():
        return None
    precision, recall, _ = precision_recall_curve(positive, scores)
    precision, recall = _thin(precision, recall)
    return {"precision": precision, "recall": recall}


def classification_metrics(labels: list, truth: np.ndarray, predicted: np.ndarray, scores: np.ndarray) -> dict:
    """labels: names in index order; truth/predicted: label indices; scores: N x len(labels)."""
    indices = list(range(len(labels)))
    truth = truth.astype(np.int64)
    predicted = predicted.astype(np.int64)
    matrix = confusion_matrix(truth, predicted, labels=indices)
    support = matrix.sum(axis=1)
    per_class = {
        label: (float(matrix[index, index] / support[index]) if support[index] else None) for index, label in enumerate(labels)
    }
    present = [value for value in per_class.values() if value is not None]
    precision, recall, f1, _ = precision_recall_fscore_support(truth, predicted, labels=indices, zero_division=0)
    roc = {label: roc_auc(truth == index, scores[:, index]) for index, label in enumerate(labels)}
    defined = [value for value in roc.values() if value is not None]
    return {
        "accuracy": float(np.trace(matrix) / max(1, matrix.sum())),
        "classAverageAccuracy": float(np.mean(present)) if present else 0.0,
        "perClassAccuracy": per_class,
        "confusionMatrix": {"labels": list(labels), "matrix": matrix.tolist(), "rows": "true label", "columns": "predicted label"},
        "rocAuc": roc,
        "macroRocAuc": float(np.mean(defined)) if defined else None,
        "rocCurves": {label: roc_points(truth == index, scores[:, index]) for index, label in enumerate(labels)},
        "precisionRecall": {
            label: {
                "precision": float(precision[index]),
                "recall": float(recall[index]),
                "f1": float(f1[index]),
                "support": int(support[index]),
                "curve": precision_recall(truth == index, scores[:, index]),
            }
            for index, label in enumerate(labels)
        },
    }
