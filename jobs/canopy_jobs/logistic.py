"""The logistic regression candidate: Spark's multinomial LogisticRegression, fitted in the driver when the rows
fit there (linear_fit.DRIVER_FIT_BYTES).

Spark runs a job per L-BFGS iteration, 200 for the demo's candidate: 6-11 s alone and 20 s beside the other fits on
two cores, for arithmetic that takes milliseconds on 1,200 rows. In the driver the same objective is minimised:
the mean softmax log-loss on standardised features, plus regParam (1 - elasticNetParam)/2 |beta|^2 and
regParam elasticNetParam |beta|_1 (both on the unstandardised coefficients when standardization is false), the
intercepts unregularised and started at the centred log class counts as Spark starts them; the result is centred
as Spark centres it (intercepts always, coefficients when regParam is 0) and returned as Spark's own
LogisticRegressionModel. Larger rows are fitted by Spark's LogisticRegression itself.
"""
import numpy as np
from pyspark.ml import Estimator
from pyspark.ml.classification import LogisticRegression
from pyspark.ml.common import _py2java
from pyspark.ml.linalg import DenseMatrix, Vectors
from pyspark.ml.wrapper import JavaParams

from canopy_jobs.linear_fit import TrainingRows, fits_in_driver


def _softmax_sums(blocks, weights, offsets):
    """The summed log-loss, and sums of (p - onehot(y)) x and of p - onehot(y) per class."""
    class_count = len(offsets)
    loss, directions, counts = np.zeros(1), np.zeros(weights.shape), np.zeros(class_count)
    for features, labels in blocks:
        margins = features @ weights.T + offsets
        top = margins.max(axis=1, keepdims=True)
        exponentials = np.exp(margins - top)
        totals = exponentials.sum(axis=1, keepdims=True)
        truth = labels.astype(np.int64)
        loss += np.sum(np.log(totals[:, 0]) + top[:, 0] - margins[np.arange(len(truth)), truth])
        residuals = exponentials / totals
        residuals[np.arange(len(truth)), truth] -= 1.0
        directions += residuals.T @ features
        counts += residuals.sum(axis=0)
    return loss, directions, counts


class MultinomialLogisticRegression(Estimator):
    """LogisticRegression(family="multinomial", **params); params are its maxIter, regParam, elasticNetParam, tol,
    fitIntercept and standardization."""

    def __init__(self, params: dict, features_col: str, label_col: str):
        super().__init__()
        self.settings = dict(params)
        self.features_col, self.label_col = features_col, label_col

    def _spark_estimator(self):
        return LogisticRegression(family="multinomial", featuresCol=self.features_col, labelCol=self.label_col,
                                  **self.settings)

    def _fit(self, dataset):
        first = dataset.select(self.features_col).first()
        if first is None or not fits_in_driver(dataset.count(), first[0].size):
            return self._spark_estimator().fit(dataset)
        rows = TrainingRows(dataset, self.features_col, self.label_col, "logistic_regression",
                            self.settings["fitIntercept"])
        try:
            weights, intercepts = rows.original_space(*self._solve(rows))
        finally:
            rows.release()
        intercepts = intercepts - intercepts.mean() if self.settings["fitIntercept"] else np.zeros_like(intercepts)
        if self.settings["regParam"] == 0:
            # Unregularised softmax coefficients are defined up to a constant per feature: Spark centres them.
            weights = weights - weights.mean(axis=0)
        sc = dataset.sparkSession.sparkContext
        matrix = DenseMatrix(weights.shape[0], weights.shape[1], weights.ravel(order="F").tolist())
        java_model = sc._jvm.org.apache.spark.ml.classification.LogisticRegressionModel(
            "logreg_driver", _py2java(sc, matrix), _py2java(sc, Vectors.dense(intercepts)), rows.class_count, True)
        model = JavaParams._from_java(java_model)
        return model._set(family="multinomial", featuresCol=self.features_col, labelCol=self.label_col,
                          **self.settings)

    def _solve(self, rows: TrainingRows):
        """(betas, biases) on the standardised features."""
        class_count, feature_count = rows.class_count, rows.feature_count
        fit_intercept, standardization = self.settings["fitIntercept"], self.settings["standardization"]
        alpha, reg = self.settings["elasticNetParam"], self.settings["regParam"]
        l2_scale = np.ones(feature_count) if standardization else np.square(rows.inverse_std)
        l1_scale = np.ones(feature_count) if standardization else rows.inverse_std
        start = [np.zeros(class_count * feature_count)]
        if fit_intercept:
            priors = np.log1p(rows.histogram)
            start.append(priors - priors.mean())
        l1 = np.concatenate([np.tile(reg * alpha * l1_scale, class_count)] + ([np.zeros(class_count)] if fit_intercept else []))
        return rows.fit(_softmax_sums, reg * (1 - alpha), l2_scale, np.concatenate(start), self.settings["maxIter"],
                        self.settings["tol"], l1)
