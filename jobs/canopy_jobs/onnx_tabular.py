"""ONNX version of the workload feature pipeline: StringIndexer -> OneHotEncoder ->
VectorAssembler (-> StandardScaler), ending in `features` for a head from onnx_heads.

Inputs are one tensor per model column, shape [N, 1]: float32 for numbers, string for text.
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from canopy_jobs.onnx_heads import FEATURES, ML_DOMAIN, ML_OPSET

OPSET = 13
IR_VERSION = 7


def feature_pipeline(numeric: list, one_hot: list, scaler=None) -> onnx.ModelProto:
    """numeric: float input names, in assembler order, before the one-hot blocks.
    one_hot: (input name, string labels or None for a numeric category, block length), in order.
    scaler: (mean, scale) arrays for the whole vector, or None. With a scaler `features` is
    double (Spark scales in double and the linear head continues in double); else float."""
    inputs, nodes, initializers, blocks = [], [], [], []
    for name in numeric:
        inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["N", 1]))
        blocks.append(name)
    for name, labels, length in one_hot:
        index = f"{name}_index"
        if labels is None:
            inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["N", 1]))
            nodes.append(helper.make_node("Cast", [name], [index], to=TensorProto.INT64))
        else:
            # An unseen string gets index len(labels), as StringIndexer(handleInvalid="keep") does.
            inputs.append(helper.make_tensor_value_info(name, TensorProto.STRING, ["N", 1]))
            nodes.append(helper.make_node("LabelEncoder", [name], [index], domain=ML_DOMAIN,
                                          keys_strings=list(labels), values_int64s=list(range(len(labels))),
                                          default_int64=len(labels)))
        positions = f"{name}_positions"
        initializers.append(numpy_helper.from_array(np.arange(length, dtype=np.int64).reshape(1, length), positions))
        # An index outside the block (unseen category) matches no position: all zeros, as in Spark.
        nodes.append(helper.make_node("Equal", [index, positions], [f"{name}_hot"]))
        nodes.append(helper.make_node("Cast", [f"{name}_hot"], [f"{name}_vector"], to=TensorProto.FLOAT))
        blocks.append(f"{name}_vector")
    assembled = "assembled" if scaler is not None else FEATURES
    nodes.append(helper.make_node("Concat", blocks, [assembled], axis=1))
    feature_type = TensorProto.FLOAT
    if scaler is not None:
        mean, scale = scaler
        initializers += [numpy_helper.from_array(np.asarray(mean, np.float64), "scaler_mean"),
                         numpy_helper.from_array(np.asarray(scale, np.float64), "scaler_scale")]
        nodes += [
            helper.make_node("Cast", [assembled], ["assembled_double"], to=TensorProto.DOUBLE),
            helper.make_node("Sub", ["assembled_double", "scaler_mean"], ["centred"]),
            helper.make_node("Mul", ["centred", "scaler_scale"], [FEATURES]),
        ]
        feature_type = TensorProto.DOUBLE
    graph = helper.make_graph(nodes, "canopy_workload_features", inputs,
                              [helper.make_tensor_value_info(FEATURES, feature_type, ["N", None])], initializers)
    model = helper.make_model(graph, ir_version=IR_VERSION,
                              opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid(ML_DOMAIN, ML_OPSET)])
    model.producer_name = "canopy"
    onnx.checker.check_model(model)
    return model
