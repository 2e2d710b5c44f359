"""The classifier candidates and their hyper-parameters, validated before Spark starts.

A bad hyper-parameter must fail its candidate with a message naming the parameter, so every
accepted key is listed with a check; anything else is rejected.

Gradient-boosted trees are Spark's own GBTClassifier, one-vs-rest. LightGBM through SynapseML
was the first choice, but SynapseML builds each release for one Spark line (1.0.x-spark3.5 for
local Spark 3.5, 0.11.4-spark3.3 / 1.0.x-spark3.3 for HDInsight's Spark 3.3): no one pinned jar
runs on both, and the Spark 3.3 builds are served from SynapseML's own repository rather than
Maven Central. Spark's GBT needs no jar at all on either side.
"""
import numpy as np
from pyspark.ml import Estimator, Pipeline, PipelineModel
from pyspark.ml.classification import (GBTClassifier, LogisticRegressionModel,
                                       MultilayerPerceptronClassifier, OneVsRest, OneVsRestModel,
                                       RandomForestClassificationModel, RandomForestClassifier)
from pyspark.ml.feature import StandardScaler
from pyspark.sql import functions as F

from canopy_jobs import joint_svm, logistic, onnx_heads, storage
from canopy_jobs.cli import JobError

CLASSIFIERS = ("logistic_regression", "random_forest", "linear_svm", "multilayer_perceptron", "gradient_boosted_trees")
# Trees split on raw feature values: feed them unscaled float features (exact ONNX thresholds).
TREE_CLASSIFIERS = ("random_forest", "gradient_boosted_trees")
# The per-class fits are mostly Spark job scheduling, not arithmetic: overlapping more of them than there are
# cores keeps the cores busy.
ONE_VS_REST_PARALLELISM = 8
_SCALED_FEATURES = "canopyScaledFeatures"


def _int(low, high=None):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be an integer"
        if value < low or (high is not None and value > high):
            return f"must be in [{low}, {high}]" if high is not None else f"must be >= {low}"
        return None
    return check


def _float(low, high=None, low_open=False):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "must be a number"
        if value < low or (low_open and value == low) or (high is not None and value > high):
            bracket = "(" if low_open else "["
            return f"must be in {bracket}{low}, {high}]" if high is not None else f"must be {'>' if low_open else '>='} {low}"
        return None
    return check


def _bool(value):
    return None if isinstance(value, bool) else "must be true or false"


def _choice(*options):
    def check(value):
        return None if value in options else f"must be one of {', '.join(map(str, options))}"
    return check


_LINEAR = {
    "maxIter": (_int(0), 100),
    "regParam": (_float(0), 0.0),
    "tol": (_float(0), 1e-6),
    "fitIntercept": (_bool, True),
    "standardization": (_bool, True),
}
PARAMETERS = {
    "logistic_regression": dict(_LINEAR, elasticNetParam=(_float(0, 1), 0.0)),
    "linear_svm": dict(_LINEAR),
    "random_forest": {
        "numTrees": (_int(1, 1000), 20),
        "maxDepth": (_int(0, 30), 5),
        "maxBins": (_int(2), 32),
        "minInstancesPerNode": (_int(1), 1),
        "minInfoGain": (_float(0), 0.0),
        "subsamplingRate": (_float(0, 1, low_open=True), 1.0),
        "featureSubsetStrategy": (_choice("auto", "all", "onethird", "sqrt", "log2"), "auto"),
        "impurity": (_choice("gini", "entropy"), "gini"),
    },
    "multilayer_perceptron": {
        "hiddenUnits": (_int(1, 4096), 128),
        "hiddenLayers": (_int(1, 4), 1),
        "maxIter": (_int(1), 200),
        "tol": (_float(0), 1e-6),
        "solver": (_choice("l-bfgs", "gd"), "l-bfgs"),
        "stepSize": (_float(0, low_open=True), 0.03),
        "blockSize": (_int(1), 128),
    },
    "gradient_boosted_trees": {
        "maxIter": (_int(1, 1000), 20),
        "maxDepth": (_int(1, 30), 5),
        "stepSize": (_float(0, 1, low_open=True), 0.1),
        "maxBins": (_int(2), 32),
        "minInstancesPerNode": (_int(1), 1),
        "minInfoGain": (_float(0), 0.0),
        "subsamplingRate": (_float(0, 1, low_open=True), 1.0),
        "featureSubsetStrategy": (_choice("auto", "all", "onethird", "sqrt", "log2"), "all"),
    },
}


def resolve_params(classifier: str, params: dict) -> dict:
    """Defaults overlaid with params; JobError listing every problem otherwise."""
    if classifier not in PARAMETERS:
        raise JobError(f"unknown classifier {classifier!r}; choose one of {', '.join(CLASSIFIERS)}")
    spec = PARAMETERS[classifier]
    problems = []
    for key, value in params.items():
        if key not in spec:
            problems.append(f"unknown hyper-parameter {key!r} for {classifier} (accepted: {', '.join(sorted(spec))})")
            continue
        problem = spec[key][0](value)
        if problem:
            problems.append(f"{key}={value!r} {problem}")
    if problems:
        raise JobError("; ".join(problems))
    resolved = {key: default for key, (_, default) in spec.items()}
    resolved.update(params)
    return resolved


def fit_cost(classifier: str, params: dict, class_count: int) -> int:
    """Roughly how many Spark jobs' time fitting takes, which on the small data of most grids sets its time: a job
    per iteration for the iterative fits (a step of the joint SVM is a Python job, about one and a half JVM ones),
    per class, boosting round and tree level for boosted trees; a forest of 60 trees 10 deep took as long as about
    300 iterations, so a level of two trees counts one. A grid starts its costliest candidates first, so the longest
    fit does not begin after the others and end alone."""
    resolved = resolve_params(classifier, params)
    if classifier == "random_forest":
        return max(1, resolved["maxDepth"]) * -(-resolved["numTrees"] // 2)
    if classifier == "gradient_boosted_trees":
        return resolved["maxIter"] * (resolved["maxDepth"] + 1) * class_count
    if classifier == "linear_svm":
        return resolved["maxIter"] * 3 // 2
    return resolved["maxIter"]


def build(classifier: str, params: dict, seed: int, features_col="features", label_col="labelIndex",
          feature_count=None, class_count=None):
    """A Spark estimator for resolved params. Its output always has `prediction`; the score
    column (probability, or one-vs-rest margins for the SVM and boosted trees) is named by
    score_column(). The multilayer perceptron standardises its input itself and fits to a
    PipelineModel(StandardScaler, perceptron); feature_count and class_count size its layers
    (read from the training rows when None)."""
    common = {"featuresCol": features_col, "labelCol": label_col}
    if classifier == "logistic_regression":
        # Multinomial even for two classes keeps one coefficient row per label (one ONNX head shape).
        return logistic.MultinomialLogisticRegression(params, features_col, label_col)
    if classifier == "random_forest":
        return RandomForestClassifier(seed=seed, **common, **params)
    if classifier == "linear_svm":
        return joint_svm.JointOneVsRestSVM(params, features_col, label_col)
    if classifier == "gradient_boosted_trees":
        return OneVsRest(classifier=GBTClassifier(seed=seed, **params), parallelism=ONE_VS_REST_PARALLELISM, **common)
    return StandardisedPerceptron(params, seed, features_col, label_col, feature_count, class_count)


class StandardisedPerceptron(Estimator):
    """Pipeline(StandardScaler, MultilayerPerceptronClassifier) as one estimator: the
    perceptron's layer sizes include the feature and class counts, read from the training rows
    (first vector's size, largest label + 1) unless given. Fitting yields a PipelineModel."""

    def __init__(self, params: dict, seed: int, features_col: str, label_col: str, feature_count, class_count):
        super().__init__()
        self.settings = dict(params)
        self.seed, self.features_col, self.label_col = seed, features_col, label_col
        self.feature_count, self.class_count = feature_count, class_count

    def _fit(self, dataset):
        feature_count = self.feature_count or dataset.select(self.features_col).first()[0].size
        class_count = self.class_count or int(dataset.agg(F.max(self.label_col)).first()[0]) + 1
        settings = dict(self.settings)
        hidden = [settings.pop("hiddenUnits")] * settings.pop("hiddenLayers")
        # Sigmoid units saturate on raw CNN activations (tens); standardised inputs train.
        scaler = StandardScaler(inputCol=self.features_col, outputCol=_SCALED_FEATURES, withMean=True, withStd=True)
        perceptron = MultilayerPerceptronClassifier(
            layers=[feature_count, *hidden, class_count], seed=self.seed,
            featuresCol=_SCALED_FEATURES, labelCol=self.label_col, **settings)
        return Pipeline(stages=[scaler, perceptron]).fit(dataset)


def transform(model, frame):
    """model.transform(frame), with one-vs-rest models transformed by Spark's Scala OneVsRestModel.

    PySpark's OneVsRestModel chains a Python UDF after every class's model, so each row and its features
    cross to Python and back once per class (9 s for 1,200 rows of ten classes on two cores); the Scala
    model computes the same margins and arg-max in one JVM stage (about 1 s)."""
    if not isinstance(model, OneVsRestModel):
        return model.transform(frame)
    from pyspark.sql import DataFrame

    return DataFrame(model._to_java().transform(frame._jdf), frame.sparkSession)


def score_column(classifier: str) -> str:
    return "rawPrediction" if classifier in ("linear_svm", "gradient_boosted_trees") else "probability"


def model_class(classifier: str):
    """The class whose load() reads back what fit(build(...)) saved."""
    return {
        "logistic_regression": LogisticRegressionModel,
        "random_forest": RandomForestClassificationModel,
        "linear_svm": OneVsRestModel,
        "multilayer_perceptron": PipelineModel,
        "gradient_boosted_trees": OneVsRestModel,
    }[classifier]


def onnx_head(spark, classifier: str, model, saved_model_uri, feature_count: int, class_count: int,
              opset: int, ir_version: int, double_input=False):
    """The ONNX head (features -> label, probabilities) equal to a fitted model of build().

    saved_model_uri: where the model itself (not an enclosing pipeline) was saved; read for the
    tree classifiers only. double_input: features arrive as double (a scaling feature pipeline);
    the tree heads always take float."""
    if classifier == "logistic_regression":
        return onnx_heads.linear_head(model.coefficientMatrix.toArray(), model.interceptVector.toArray(),
                                      opset, ir_version, double_input)
    if classifier == "linear_svm":
        weights = np.stack([binary.coefficients.toArray() for binary in model.models])
        intercepts = np.asarray([binary.intercept for binary in model.models])
        return onnx_heads.linear_head(weights, intercepts, opset, ir_version, double_input)
    if classifier == "random_forest":
        tree_rows = spark.read.parquet(storage.join(saved_model_uri, "data")).collect()
        return onnx_heads.forest_head(tree_rows, feature_count, class_count, opset, ir_version)
    if classifier == "gradient_boosted_trees":
        # OneVsRestModel saves its k-th binary model under model_<k>.
        class_models = [
            (spark.read.parquet(storage.join(saved_model_uri, f"model_{index}", "data")).collect(), binary.treeWeights)
            for index, binary in enumerate(model.models)
        ]
        return onnx_heads.boosted_one_vs_rest_head(class_models, feature_count, opset, ir_version)
    scaler, perceptron = model.stages
    return onnx_heads.perceptron_head(perceptron_layers(perceptron), scaler.mean.toArray(),
                                      _inverse_std(scaler.std.toArray()), opset, ir_version, double_input)


def _inverse_std(std):
    # StandardScalerModel multiplies by 1/std, and by 0 where a feature never varied.
    return np.divide(1.0, std, out=np.zeros_like(std), where=std != 0)


def perceptron_layers(perceptron) -> list:
    """(weights D_in x D_out, bias D_out) per layer of a MultilayerPerceptronClassificationModel.

    Spark lays each layer out as a column-major D_out x D_in matrix followed by the bias."""
    sizes = perceptron.getLayers()
    flat = perceptron.weights.toArray()
    layers, offset = [], 0
    for size_in, size_out in zip(sizes, sizes[1:]):
        weights = flat[offset:offset + size_in * size_out].reshape(size_in, size_out)
        offset += size_in * size_out
        layers.append((weights, flat[offset:offset + size_out]))
        offset += size_out
    return layers
