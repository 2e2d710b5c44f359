"""ONNX classifier heads rebuilt from trained Spark models.

Every head maps `features` float [N, D] to `label` int64 [N] (index into the package's labels)
and `probabilities` float [N, K]. Only operators whose meaning is the same from opset 7 on are
used, so a head joins any featurizer's opset unchanged.

- Linear models compute in double, as Spark does, so near-ties resolve the same way.
- Trees use ai.onnx.ml TreeEnsembleClassifier on float input; each Spark threshold (a double)
  is rounded down to the nearest float, which keeps `x <= threshold` exact for float inputs.
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ML_DOMAIN = "ai.onnx.ml"
ML_OPSET = 2
FEATURES = "features"
LABEL = "label"
PROBABILITIES = "probabilities"


def _model(nodes, initializers, feature_count: int, class_count: int, opset: int, ir_version: int,
           feature_type=TensorProto.FLOAT):
    graph = helper.make_graph(
        nodes, "canopy_head",
        [helper.make_tensor_value_info(FEATURES, feature_type, ["N", feature_count])],
        [helper.make_tensor_value_info(LABEL, TensorProto.INT64, ["N"]),
         helper.make_tensor_value_info(PROBABILITIES, TensorProto.FLOAT, ["N", class_count])],
        initializers,
    )
    opsets = [helper.make_opsetid("", opset), helper.make_opsetid(ML_DOMAIN, ML_OPSET)]
    model = helper.make_model(graph, opset_imports=opsets, ir_version=ir_version)
    model.producer_name = "canopy"
    onnx.checker.check_model(model)
    return model


def linear_head(weights: np.ndarray, intercepts: np.ndarray, opset: int, ir_version: int, double_input=False):
    """K x D weights: margins = x W^T + b; label = argmax(margins); probabilities = softmax(margins).

    For logistic regression the softmax is the model's probability; for one-vs-rest SVM margins
    it is only a monotone score (uncalibrated). double_input: features arrive as double
    (already scaled in double by a feature pipeline) rather than float."""
    class_count, feature_count = weights.shape
    initializers = [
        numpy_helper.from_array(weights.T.astype(np.float64), "head_weights"),
        numpy_helper.from_array(intercepts.astype(np.float64), "head_intercepts"),
    ]
    features = FEATURES if double_input else "head_features_double"
    nodes = [] if double_input else [helper.make_node("Cast", [FEATURES], [features], to=TensorProto.DOUBLE)]
    nodes += [
        helper.make_node("MatMul", [features, "head_weights"], ["head_products"]),
        helper.make_node("Add", ["head_products", "head_intercepts"], ["head_margins"]),
        helper.make_node("Softmax", ["head_margins"], ["head_probabilities_double"], axis=1),
        helper.make_node("Cast", ["head_probabilities_double"], [PROBABILITIES], to=TensorProto.FLOAT),
        helper.make_node("ArgMax", ["head_margins"], [LABEL], axis=1, keepdims=0),
    ]
    feature_type = TensorProto.DOUBLE if double_input else TensorProto.FLOAT
    return _model(nodes, initializers, feature_count, class_count, opset, ir_version, feature_type)


def _float_at_most(value: float) -> float:
    rounded = np.float32(value)
    if float(rounded) > value:
        rounded = np.nextafter(rounded, np.float32(-np.inf))
    return float(rounded)


def forest_head(tree_rows, feature_count: int, class_count: int, opset: int, ir_version: int):
    """tree_rows: (treeID, nodeData) rows of a saved Spark RandomForestClassificationModel.

    Spark's probability is the mean over trees of each leaf's normalised class counts, and its
    prediction the first class with the largest mean; class weights of leaf / tree count and an
    ArgMax over the summed scores reproduce both."""
    trees = {}
    for row in tree_rows:
        trees.setdefault(row["treeID"], []).append(row["nodeData"])
    tree_count = len(trees)
    node = {key: [] for key in ("tree", "id", "feature", "mode", "value", "true", "false")}
    leaf = {key: [] for key in ("tree", "id", "class", "weight")}
    for tree_id in sorted(trees):
        for data in trees[tree_id]:
            node["tree"].append(tree_id)
            node["id"].append(data["id"])
            if data["leftChild"] < 0:
                node["feature"].append(0)
                node["mode"].append("LEAF")
                node["value"].append(0.0)
                node["true"].append(0)
                node["false"].append(0)
                stats = np.asarray(data["impurityStats"], dtype=np.float64)
                total = stats.sum()
                for class_index, count in enumerate(stats):
                    if total > 0 and count > 0:
                        leaf["tree"].append(tree_id)
                        leaf["id"].append(data["id"])
                        leaf["class"].append(class_index)
                        leaf["weight"].append(float(count / total / tree_count))
                continue
            split = data["split"]
            node["feature"].append(split["featureIndex"])
            node["mode"].append("BRANCH_LEQ")
            if split["numCategories"] < 0:
                node["value"].append(_float_at_most(split["leftCategoriesOrThreshold"][0]))
                node["true"].append(data["leftChild"])
                node["false"].append(data["rightChild"])
            elif split["numCategories"] == 2 and list(split["leftCategoriesOrThreshold"]) in ([0.0], [1.0]):
                # A binary (one-hot) feature: category 0 is x <= 0.5.
                node["value"].append(0.5)
                left_is_zero = list(split["leftCategoriesOrThreshold"]) == [0.0]
                node["true"].append(data["leftChild"] if left_is_zero else data["rightChild"])
                node["false"].append(data["rightChild"] if left_is_zero else data["leftChild"])
            else:
                raise ValueError(f"categorical split over {split['numCategories']} categories is not exportable")
    # Every class must appear among the weights, else the runtime treats two classes as one score.
    for class_index in range(class_count):
        leaf["tree"].append(leaf["tree"][0])
        leaf["id"].append(leaf["id"][0])
        leaf["class"].append(class_index)
        leaf["weight"].append(0.0)
    ensemble = helper.make_node(
        "TreeEnsembleClassifier", [FEATURES], ["head_tree_label", PROBABILITIES], domain=ML_DOMAIN,
        classlabels_int64s=list(range(class_count)), post_transform="NONE",
        nodes_treeids=node["tree"], nodes_nodeids=node["id"], nodes_featureids=node["feature"],
        nodes_modes=node["mode"], nodes_values=node["value"],
        nodes_truenodeids=node["true"], nodes_falsenodeids=node["false"],
        class_treeids=leaf["tree"], class_nodeids=leaf["id"], class_ids=leaf["class"], class_weights=leaf["weight"],
    )
    label = helper.make_node("ArgMax", [PROBABILITIES], [LABEL], axis=1, keepdims=0)
    return _model([ensemble, label], [], feature_count, class_count, opset, ir_version)


def attach(front: onnx.ModelProto, head: onnx.ModelProto) -> onnx.ModelProto:
    """One model: front's `features` output feeds the head; outputs are the head's."""
    combined = onnx.compose.merge_models(front, head, io_map=[(FEATURES, FEATURES)])
    del combined.metadata_props[:]
    combined.metadata_props.extend(front.metadata_props)
    onnx.checker.check_model(combined)
    return combined


def default_opset(model: onnx.ModelProto) -> int:
    return next(entry.version for entry in model.opset_import if entry.domain in ("", "ai.onnx"))
