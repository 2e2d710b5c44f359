"""What the linear candidates fitted outside Spark ML's job-per-iteration loops share: the training rows as numpy
blocks, their statistics and standardisation, where the objective's sums are computed, and the optimiser.

On the demo's 1,200 rows a Spark job per optimiser step costs 50-100 ms against about 1 ms of arithmetic, so rows
whose features take at most DRIVER_FIT_BYTES are collected once and every step runs in the driver; larger rows stay
cached on the executors and each step is one Spark job over them.
"""
import functools

import numpy as np
from scipy.optimize import minimize

from canopy_jobs import python_worker
from canopy_jobs.cli import JobError

BLOCK_ROWS = 4096
DRIVER_FIT_BYTES = 64 * 2 ** 20


def fits_in_driver(row_count: int, feature_count: int) -> bool:
    return row_count * feature_count * 8 <= DRIVER_FIT_BYTES


def _block(features: list, labels: list):
    """Features as a matrix, kept in float32 when that loses nothing (a featurizer's output): every step on the
    executors ships the cached blocks to Python again."""
    matrix = np.asarray(features, dtype=np.float64)
    compact = matrix.astype(np.float32)
    return (compact if np.array_equal(compact, matrix) else matrix), np.asarray(labels, dtype=np.float64)


def _blocks(frame, features_col: str, label_col: str):
    """(features matrix, labels) per up to BLOCK_ROWS rows: numpy does the arithmetic per block."""
    def to_blocks(rows):
        python_worker.reread_archives_only_when_changed()
        features, labels = [], []
        for row in rows:
            features.append(row[0].toArray())
            labels.append(row[1])
            if len(labels) == BLOCK_ROWS:
                yield _block(features, labels)
                features, labels = [], []
        if labels:
            yield _block(features, labels)
    return frame.select(features_col, label_col).rdd.mapPartitions(to_blocks)


def _sum(left, right):
    return tuple(a + b for a, b in zip(left, right))


class _Moments:
    """Row count, per-feature mean, sum of squared deviations, min and max (merged as Chan et al.), and what the
    labels look like: the feature statistics standardise, and a feature varies only where its max exceeds its min."""

    def __init__(self, features, labels):
        features = features.astype(np.float64, copy=False)
        self.count = len(labels)
        self.mean = features.mean(axis=0)
        self.squares = np.square(features - self.mean).sum(axis=0)
        self.low, self.high = features.min(axis=0), features.max(axis=0)
        self.bad_labels = bool(np.any((labels != np.floor(labels)) | (labels < 0)))
        self.histogram = np.zeros(0) if self.bad_labels else np.bincount(labels.astype(np.int64)).astype(np.float64)

    def merge(self, other):
        count = self.count + other.count
        delta = other.mean - self.mean
        self.squares = self.squares + other.squares + np.square(delta) * self.count * other.count / count
        self.mean = self.mean + delta * other.count / count
        self.count = count
        self.low, self.high = np.minimum(self.low, other.low), np.maximum(self.high, other.high)
        self.bad_labels = self.bad_labels or other.bad_labels
        size = max(len(self.histogram), len(other.histogram))
        self.histogram = np.pad(self.histogram, (0, size - len(self.histogram))) + \
            np.pad(other.histogram, (0, size - len(other.histogram)))
        return self


class TrainingRows:
    """The rows of one fit, standardised as Spark ML's linear models standardise: by the unbiased deviation of each
    feature (a feature that never varies gets no weight), centred too when there is an intercept (the same
    objective, better conditioned)."""

    def __init__(self, frame, features_col: str, label_col: str, classifier: str, fit_intercept: bool):
        self.blocks = _blocks(frame, features_col, label_col).persist()
        per_block = self.blocks.map(lambda block: _Moments(*block)).collect()
        if not per_block:
            raise JobError(f"{classifier}: no training rows")
        moments = functools.reduce(_Moments.merge, per_block)
        if moments.bad_labels:
            raise JobError(f"{classifier}: labels must be class indices 0, 1, 2, ...")
        self.count, self.feature_count = moments.count, len(moments.mean)
        self.class_count = max(2, len(moments.histogram))
        self.histogram = np.pad(moments.histogram, (0, self.class_count - len(moments.histogram)))
        std = np.sqrt(moments.squares / max(self.count - 1, 1))
        self.inverse_std = np.divide(1.0, std, out=np.zeros_like(std), where=moments.high > moments.low)
        self.centre = moments.mean if fit_intercept else np.zeros_like(moments.mean)
        self._local = self.blocks.collect() if fits_in_driver(self.count, self.feature_count) else None

    def sums(self, function, *args):
        """function(blocks, *args), a tuple of arrays, summed over every block: in the driver when the rows are
        there, else in one Spark job."""
        if self._local is not None:
            return function(self._local, *args)

        def partial(block_iterator):
            python_worker.reread_archives_only_when_changed()
            yield function(block_iterator, *args)
        return self.blocks.mapPartitions(partial).treeReduce(_sum)

    def fit(self, sums, l2: float, l2_scale, start, max_iter: int, tol: float, l1=None):
        """(betas, biases) on the standardised features minimising the mean loss plus l2/2 |beta * l2_scale^0.5|^2
        (and the optional L1 of minimise), from start (betas, then one bias per class when there is an intercept).
        sums(blocks, weights, offsets) -> (summed loss, sums of dloss/dmargin x, sums of dloss/dmargin)."""
        class_count, feature_count = self.class_count, self.feature_count
        coefficients = class_count * feature_count
        fit_intercept = len(start) > coefficients

        def unpack(theta):
            return theta[:coefficients].reshape(class_count, feature_count), \
                theta[coefficients:] if fit_intercept else np.zeros(class_count)

        def objective(theta):
            betas, biases = unpack(theta)
            loss, directions, counts = self.sums(sums, *self.original_space(betas, biases))
            value = np.sum(loss) / self.count + 0.5 * l2 * np.sum(np.square(betas) * l2_scale)
            gradient_betas = (directions - np.outer(counts, self.centre)) * self.inverse_std / self.count \
                + l2 * betas * l2_scale
            return value, np.concatenate([gradient_betas.ravel()] + ([counts / self.count] if fit_intercept else []))

        return unpack(minimise(objective, start, max_iter, tol, l1))

    def original_space(self, betas, biases):
        """(weights, intercepts) on the unstandardised features for coefficients on the standardised ones."""
        weights = betas * self.inverse_std
        return weights, biases - weights @ self.centre

    def release(self) -> None:
        self.blocks.unpersist()


def minimise(objective, start, max_iter: int, tol: float, l1=None):
    """L-BFGS from start for at most max_iter steps; objective(x) -> (value, gradient). l1: per-variable weights of
    an added L1 penalty (Spark's OWL-QN case), minimised as the difference of two non-negative parts under
    L-BFGS-B's bounds; variables with no L1 weight stay free."""
    if max_iter == 0:
        return start
    options = {"maxiter": max_iter, "maxfun": 2 * max_iter + 20, "ftol": tol, "gtol": tol}
    if l1 is None or not np.any(l1 > 0):
        return minimize(objective, start, jac=True, method="L-BFGS-B", options=options).x
    penalised = l1 > 0
    size = len(start)

    def split_objective(parts):
        value, gradient = objective(parts[:size] - parts[size:])
        return value + l1 @ (parts[:size] + parts[size:]), np.concatenate([gradient + l1, -gradient + l1])

    bounds = [(0, None) if p else (None, None) for p in penalised] + [(0, None) if p else (0, 0) for p in penalised]
    start_parts = np.concatenate([np.where(penalised, np.maximum(start, 0), start), np.where(penalised, np.maximum(-start, 0), 0)])
    parts = minimize(split_objective, start_parts, jac=True, method="L-BFGS-B", bounds=bounds, options=options).x
    return parts[:size] - parts[size:]
