"""The linear SVM candidate: one-vs-rest, every class fitted by one optimiser, one Spark job per step.

Spark's OneVsRest(LinearSVC) fits each class on its own and each L-BFGS evaluation of each class is a
Spark job: about 2,100 jobs for ten classes and 100 iterations, 23 s of job scheduling on two cores for
1,200 rows whose arithmetic takes milliseconds. The classes' objectives are independent, so their sum
is minimised at once: one pass over the rows gives every class's margins, loss and gradient.

The objective is LinearSVC's for each class k (y = +1 for class k, -1 otherwise): the mean hinge loss
max(0, 1 - y (beta_k . z + b_k)) on standardised features z, plus regParam/2 |beta_k|^2 (on the
unstandardised coefficients beta_k / std when standardization is false); the intercept is not
regularised, and features that never vary get no weight. z is centred too when there is an intercept,
which is the same objective, better conditioned. The fit is Spark's own OneVsRestModel of
LinearSVCModels, so transform, save and load are Spark's.
"""
import numpy as np
from scipy.optimize import minimize
from pyspark.ml import Estimator
from pyspark.ml.classification import LinearSVC, OneVsRestModel
from pyspark.ml.common import _py2java
from pyspark.ml.linalg import Vectors
from pyspark.ml.wrapper import JavaParams

from canopy_jobs import python_worker
from canopy_jobs.cli import JobError

BLOCK_ROWS = 4096


def _block(features: list, labels: list):
    """Features as a matrix, kept in float32 when that loses nothing (a featurizer's output): every optimiser step
    ships the cached blocks to Python again."""
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
        self.top_label = labels.max()
        self.bad_labels = bool(np.any((labels != np.floor(labels)) | (labels < 0)))

    def merge(self, other):
        count = self.count + other.count
        delta = other.mean - self.mean
        self.squares = self.squares + other.squares + np.square(delta) * self.count * other.count / count
        self.mean = self.mean + delta * other.count / count
        self.count = count
        self.low, self.high = np.minimum(self.low, other.low), np.maximum(self.high, other.high)
        self.top_label = max(self.top_label, other.top_label)
        self.bad_labels = self.bad_labels or other.bad_labels
        return self


def _hinge_terms(blocks, weights, offsets):
    """Per class: the summed hinge loss, and sums over the rows inside the margin of -y x and of -y."""
    class_count = len(offsets)

    def partial(block_iterator):
        python_worker.reread_archives_only_when_changed()
        hinge, directions, counts = np.zeros(class_count), np.zeros(weights.shape), np.zeros(class_count)
        for features, labels in block_iterator:
            signs = np.where(labels[:, None] == np.arange(class_count), 1.0, -1.0)
            slack = 1.0 - signs * (features @ weights.T + offsets)
            inside = slack > 0
            hinge += np.where(inside, slack, 0.0).sum(axis=0)
            pull = np.where(inside, -signs, 0.0)
            directions += pull.T @ features
            counts += pull.sum(axis=0)
        yield hinge, directions, counts
    return blocks.mapPartitions(partial).treeReduce(_sum)


class JointOneVsRestSVM(Estimator):
    """OneVsRest(LinearSVC(**params)) fitted jointly; params are LinearSVC's maxIter, regParam, tol,
    fitIntercept and standardization. maxIter and tol bound the joint optimiser (L-BFGS)."""

    def __init__(self, params: dict, features_col: str, label_col: str):
        super().__init__()
        self.settings = dict(params)
        self.features_col, self.label_col = features_col, label_col

    def _fit(self, dataset):
        blocks = _blocks(dataset, self.features_col, self.label_col).persist()
        try:
            coefficients, intercepts = self._solve(blocks)
        finally:
            blocks.unpersist()
        sc = dataset.sparkSession.sparkContext
        jvm = sc._jvm
        models = [JavaParams._from_java(jvm.org.apache.spark.ml.classification.LinearSVCModel(
            f"linearsvc_joint_{index}", _py2java(sc, Vectors.dense(row)), float(intercept)))
            for index, (row, intercept) in enumerate(zip(coefficients, intercepts))]
        model = OneVsRestModel(models=models)
        return model._set(classifier=LinearSVC(**self.settings), featuresCol=self.features_col,
                          labelCol=self.label_col)

    def _solve(self, blocks):
        if blocks.isEmpty():
            raise JobError("linear_svm: no training rows")
        moments = blocks.map(lambda block: _Moments(*block)).treeReduce(_Moments.merge)
        if moments.bad_labels:
            raise JobError("linear_svm: labels must be class indices 0, 1, 2, ...")
        class_count = max(2, int(moments.top_label) + 1)
        count, mean = moments.count, moments.mean
        # Spark's summariser: the unbiased deviation; a feature that never varies gets no weight.
        std = np.sqrt(moments.squares / max(count - 1, 1))
        inverse_std = np.divide(1.0, std, out=np.zeros_like(std), where=moments.high > moments.low)
        fit_intercept, reg = self.settings["fitIntercept"], self.settings["regParam"]
        reg_scale = np.ones_like(std) if self.settings["standardization"] else np.square(inverse_std)
        centre = mean if fit_intercept else np.zeros_like(mean)
        feature_count = len(mean)

        def unpack(theta):
            betas = theta[:class_count * feature_count].reshape(class_count, feature_count)
            biases = theta[class_count * feature_count:] if fit_intercept else np.zeros(class_count)
            return betas, biases

        def objective(theta):
            betas, biases = unpack(theta)
            weights = betas * inverse_std
            hinge, directions, counts = _hinge_terms(blocks, weights, biases - weights @ centre)
            loss = hinge.sum() / count + 0.5 * reg * np.sum(np.square(betas) * reg_scale)
            gradient_betas = (directions - np.outer(counts, centre)) * inverse_std / count + reg * betas * reg_scale
            gradient = [gradient_betas.ravel()] + ([counts / count] if fit_intercept else [])
            return loss, np.concatenate(gradient)

        size = class_count * (feature_count + (1 if fit_intercept else 0))
        max_iter, tol = self.settings["maxIter"], self.settings["tol"]
        if max_iter == 0:
            theta = np.zeros(size)
        else:
            theta = minimize(objective, np.zeros(size), jac=True, method="L-BFGS-B",
                             options={"maxiter": max_iter, "maxfun": 2 * max_iter + 20, "ftol": tol, "gtol": tol}).x
        betas, biases = unpack(theta)
        weights = betas * inverse_std
        return weights, biases - weights @ centre
