"""The classifier candidates and their hyper-parameters, validated before Spark starts.

A bad hyper-parameter must fail its candidate with a message naming the parameter, so every
accepted key is listed with a check; anything else is rejected.
"""
from canopy_jobs.cli import JobError

CLASSIFIERS = ("logistic_regression", "random_forest", "linear_svm")


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


def build(classifier: str, params: dict, seed: int, features_col="features", label_col="labelIndex"):
    """A Spark estimator for resolved params. Its output always has `prediction`; the score
    column (probability, or one-vs-rest margins for the SVM) is named by score_column()."""
    from pyspark.ml.classification import LinearSVC, LogisticRegression, OneVsRest, RandomForestClassifier

    common = {"featuresCol": features_col, "labelCol": label_col}
    if classifier == "logistic_regression":
        # Multinomial even for two classes keeps one coefficient row per label (one ONNX head shape).
        return LogisticRegression(family="multinomial", **common, **params)
    if classifier == "random_forest":
        return RandomForestClassifier(seed=seed, **common, **params)
    return OneVsRest(classifier=LinearSVC(**params), parallelism=2, **common)


def score_column(classifier: str) -> str:
    return "rawPrediction" if classifier == "linear_svm" else "probability"


def model_class(classifier: str):
    from pyspark.ml.classification import (LogisticRegressionModel, OneVsRestModel,
                                           RandomForestClassificationModel)

    return {
        "logistic_regression": LogisticRegressionModel,
        "random_forest": RandomForestClassificationModel,
        "linear_svm": OneVsRestModel,
    }[classifier]
