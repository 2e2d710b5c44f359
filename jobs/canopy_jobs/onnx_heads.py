"""ONNX classifier heads rebuilt from trained Spark models.

Every head maps `features` float [N, D] to `label` int64 [N] (index into the package's labels)
and `probabilities` float [N, K]. Only operators whose meaning is the same from opset 7 on are
used, so a head joins any featurizer's opset unchanged.

- Linear models compute in double, as Spark does, so near-ties resolve the same way.
- Trees (random forest, one-vs-rest gradient-boosted trees) use ai.onnx.ml TreeEnsembleClassifier
  on float input; each Spark threshold (a double) is rounded down to the nearest float, which
  keeps `x <= threshold` exact for float inputs.
- The multilayer perceptron computes in double, standardisation included.
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ML_DOMAIN = "ai.onnx.ml"
ML_OPSET = 2
FEATURES = "features"
LABEL = "label"
PROBABILITIES = "probabilities"
# onnxruntime runs ArgMax before opset 11 in double only from 1.20 on, which needs Python 3.10: with HDInsight 5.1's
# Python 3.8 (onnxruntime 1.19 at most) a head at an older featurizer's opset would not load.
DOUBLE_ARGMAX_OPSET = 11


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


def _label_nodes(margins: str, opset: int) -> list:
    """label = argmax of double margins. Before DOUBLE_ARGMAX_OPSET the margins less their row maximum (which
    becomes exactly 0) are cast to float, which keeps their order, and ArgMax runs in float."""
    if opset >= DOUBLE_ARGMAX_OPSET:
        return [helper.make_node("ArgMax", [margins], [LABEL], axis=1, keepdims=0)]
    return [
        helper.make_node("ReduceMax", [margins], ["head_margins_max"], axes=[1], keepdims=1),
        helper.make_node("Sub", [margins, "head_margins_max"], ["head_margins_shifted"]),
        helper.make_node("Cast", ["head_margins_shifted"], ["head_margins_shifted_float"], to=TensorProto.FLOAT),
        helper.make_node("ArgMax", ["head_margins_shifted_float"], [LABEL], axis=1, keepdims=0),
    ]


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
        *_label_nodes("head_margins", opset),
    ]
    feature_type = TensorProto.DOUBLE if double_input else TensorProto.FLOAT
    return _model(nodes, initializers, feature_count, class_count, opset, ir_version, feature_type)


def _float_at_most(value: float) -> float:
    rounded = np.float32(value)
    if float(rounded) > value:
        rounded = np.nextafter(rounded, np.float32(-np.inf))
    return float(rounded)


def _tree_nodes(node, tree_id: int, data) -> bool:
    """Append one Spark tree node to the ensemble's node attributes; True when it is a leaf."""
    node["tree"].append(tree_id)
    node["id"].append(data["id"])
    if data["leftChild"] < 0:
        node["feature"].append(0)
        node["mode"].append("LEAF")
        node["value"].append(0.0)
        node["true"].append(0)
        node["false"].append(0)
        return True
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
    return False


def _ensemble_head(trees, leaf_weights, feature_count: int, class_count: int, opset: int, ir_version: int):
    """trees: (tree id, node rows) pairs; leaf_weights(tree id, leaf row) -> [(class, weight)].

    The TreeEnsembleClassifier sums each class's leaf weights over the trees (no post
    transform); label is the first class with the largest sum, as Spark's argmax."""
    node = {key: [] for key in ("tree", "id", "feature", "mode", "value", "true", "false")}
    leaf = {key: [] for key in ("tree", "id", "class", "weight")}
    for tree_id, rows in trees:
        for data in rows:
            if _tree_nodes(node, tree_id, data):
                for class_index, weight in leaf_weights(tree_id, data):
                    leaf["tree"].append(tree_id)
                    leaf["id"].append(data["id"])
                    leaf["class"].append(class_index)
                    leaf["weight"].append(weight)
    # Every class must appear among the weights, else the runtime treats two classes as one score.
    first_leaf = node["mode"].index("LEAF")
    for class_index in range(class_count):
        leaf["tree"].append(node["tree"][first_leaf])
        leaf["id"].append(node["id"][first_leaf])
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


def _grouped_trees(tree_rows) -> dict:
    trees = {}
    for row in tree_rows:
        trees.setdefault(row["treeID"], []).append(row["nodeData"])
    return trees


def forest_head(tree_rows, feature_count: int, class_count: int, opset: int, ir_version: int):
    """tree_rows: (treeID, nodeData) rows of a saved Spark RandomForestClassificationModel.

    Spark's probability is the mean over trees of each leaf's normalised class counts, and its
    prediction the first class with the largest mean; class weights of leaf / tree count and an
    ArgMax over the summed scores reproduce both."""
    trees = _grouped_trees(tree_rows)
    tree_count = len(trees)

    def leaf_weights(_tree_id, data):
        stats = np.asarray(data["impurityStats"], dtype=np.float64)
        total = stats.sum()
        return [(class_index, float(count / total / tree_count))
                for class_index, count in enumerate(stats) if total > 0 and count > 0]

    return _ensemble_head(sorted(trees.items()), leaf_weights, feature_count, class_count, opset, ir_version)


def boosted_one_vs_rest_head(class_models, feature_count: int, opset: int, ir_version: int):
    """class_models: per class, in class order, (treeID, nodeData) rows of a saved Spark
    GBTClassificationModel and its tree weights.

    One-vs-rest scores class k by the k-th model's margin, the weighted sum of its trees' leaf
    predictions, and predicts the first class with the largest margin. The head's
    `probabilities` are those margins: a monotone score, not calibrated probabilities."""
    trees, weights = [], {}
    for class_index, (tree_rows, tree_weights) in enumerate(class_models):
        offset = len(trees)
        for tree_id, rows in sorted(_grouped_trees(tree_rows).items()):
            trees.append((offset + tree_id, rows))
            weights[offset + tree_id] = (class_index, float(tree_weights[tree_id]))

    def leaf_weights(tree_id, data):
        class_index, tree_weight = weights[tree_id]
        return [(class_index, tree_weight * float(data["prediction"]))]

    return _ensemble_head(trees, leaf_weights, feature_count, len(class_models), opset, ir_version)


def perceptron_head(layers, shift: np.ndarray, scale: np.ndarray, opset: int, ir_version: int, double_input=False):
    """A standardised multilayer perceptron: x' = (x - shift) * scale (Spark's StandardScaler),
    then per layer (weights D_in x D_out, bias D_out) an affine map, sigmoid between layers and
    softmax on top, as Spark's MultilayerPerceptronClassifier; all in double, as Spark computes.
    label = argmax of the last layer's margins."""
    feature_count = layers[0][0].shape[0]
    class_count = layers[-1][0].shape[1]
    initializers = [numpy_helper.from_array(np.asarray(shift, np.float64), "head_shift"),
                    numpy_helper.from_array(np.asarray(scale, np.float64), "head_scale")]
    features = FEATURES if double_input else "head_features_double"
    nodes = [] if double_input else [helper.make_node("Cast", [FEATURES], [features], to=TensorProto.DOUBLE)]
    nodes += [helper.make_node("Sub", [features, "head_shift"], ["head_centred"]),
              helper.make_node("Mul", ["head_centred", "head_scale"], ["head_layer0"])]
    for index, (weights, bias) in enumerate(layers):
        initializers += [numpy_helper.from_array(np.asarray(weights, np.float64), f"head_weights{index}"),
                         numpy_helper.from_array(np.asarray(bias, np.float64), f"head_bias{index}")]
        nodes += [helper.make_node("MatMul", [f"head_layer{index}", f"head_weights{index}"], [f"head_products{index}"]),
                  helper.make_node("Add", [f"head_products{index}", f"head_bias{index}"], [f"head_affine{index}"])]
        if index < len(layers) - 1:
            nodes.append(helper.make_node("Sigmoid", [f"head_affine{index}"], [f"head_layer{index + 1}"]))
    margins = f"head_affine{len(layers) - 1}"
    nodes += [
        helper.make_node("Softmax", [margins], ["head_probabilities_double"], axis=1),
        helper.make_node("Cast", ["head_probabilities_double"], [PROBABILITIES], to=TensorProto.FLOAT),
        *_label_nodes(margins, opset),
    ]
    feature_type = TensorProto.DOUBLE if double_input else TensorProto.FLOAT
    return _model(nodes, initializers, feature_count, class_count, opset, ir_version, feature_type)


def attach(front: onnx.ModelProto, head: onnx.ModelProto) -> onnx.ModelProto:
    """One model: front's `features` output feeds the head; outputs are the head's."""
    combined = onnx.compose.merge_models(front, head, io_map=[(FEATURES, FEATURES)])
    del combined.metadata_props[:]
    combined.metadata_props.extend(front.metadata_props)
    onnx.checker.check_model(combined)
    return combined


def default_opset(model: onnx.ModelProto) -> int:
    return next(entry.version for entry in model.opset_import if entry.domain in ("", "ai.onnx"))
