"""The linear SVM candidate: one-vs-rest, every class fitted by one optimiser, one Spark job per step
(none when the rows fit in the driver's memory: linear_fit).

Spark's OneVsRest(LinearSVC) fits each class on its own and each L-BFGS evaluation of each class is a
Spark job: about 2,100 jobs for ten classes and 100 iterations, 23 s of job scheduling on two cores for
1,200 rows whose arithmetic takes milliseconds. The classes' objectives are independent, so their sum
is minimised at once: one pass over the rows gives every class's margins, loss and gradient.

The objective is LinearSVC's for each class k (y = +1 for class k, -1 otherwise): the mean hinge loss
max(0, 1 - y (beta_k . z + b_k)) on standardised features z, plus regParam/2 |beta_k|^2 (on the
unstandardised coefficients beta_k / std when standardization is false); the intercept is not
regularised. The fit is Spark's own OneVsRestModel of LinearSVCModels, so transform, save and load
are Spark's.
"""
import numpy as np
from pyspark.ml import Estimator
from pyspark.ml.classification import LinearSVC, OneVsRestModel
from pyspark.ml.common import _py2java
from pyspark.ml.linalg import Vectors
from pyspark.ml.wrapper import JavaParams

from canopy_jobs.linear_fit import TrainingRows


def _hinge_sums(blocks, weights, offsets):
    """Per class: the summed hinge loss, and sums over the rows inside the margin of -y x and of -y."""
    class_count = len(offsets)
    hinge, directions, counts = np.zeros(class_count), np.zeros(weights.shape), np.zeros(class_count)
    for features, labels in blocks:
        signs = np.where(labels[:, None] == np.arange(class_count), 1.0, -1.0)
        slack = 1.0 - signs * (features @ weights.T + offsets)
        inside = slack > 0
        hinge += np.where(inside, slack, 0.0).sum(axis=0)
        pull = np.where(inside, -signs, 0.0)
        directions += pull.T @ features
        counts += pull.sum(axis=0)
    return hinge, directions, counts


class JointOneVsRestSVM(Estimator):
    """OneVsRest(LinearSVC(**params)) fitted jointly; params are LinearSVC's maxIter, regParam, tol,
    fitIntercept and standardization. maxIter and tol bound the joint optimiser (L-BFGS)."""

    def __init__(self, params: dict, features_col: str, label_col: str):
        super().__init__()
        self.settings = dict(params)
        self.features_col, self.label_col = features_col, label_col

    def _fit(self, dataset):
        rows = TrainingRows(dataset, self.features_col, self.label_col, "linear_svm", self.settings["fitIntercept"])
        try:
            coefficients, intercepts = rows.original_space(*self._solve(rows))
        finally:
            rows.release()
        sc = dataset.sparkSession.sparkContext
        jvm = sc._jvm
        models = [JavaParams._from_java(jvm.org.apache.spark.ml.classification.LinearSVCModel(
            f"linearsvc_joint_{index}", _py2java(sc, Vectors.dense(row)), float(intercept)))
            for index, (row, intercept) in enumerate(zip(coefficients, intercepts))]
        model = OneVsRestModel(models=models)
        return model._set(classifier=LinearSVC(**self.settings), featuresCol=self.features_col,
                          labelCol=self.label_col)

    def _solve(self, rows: TrainingRows):
        """(betas, biases) on the standardised features."""
        l2_scale = np.ones(rows.feature_count) if self.settings["standardization"] else np.square(rows.inverse_std)
        size = rows.class_count * (rows.feature_count + (1 if self.settings["fitIntercept"] else 0))
        return rows.fit(_hinge_sums, self.settings["regParam"], l2_scale, np.zeros(size), self.settings["maxIter"],
                        self.settings["tol"])
