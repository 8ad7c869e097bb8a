"""onnx_check.py WORKDIR — every WORKDIR/*.onnx passes the ONNX checker
with full_check (shape inference included), and its input and output are
named input and output with a symbolic batch dimension (and a symbolic
sequence dimension for token ids)."""
import glob
import os
import sys

import onnx

passed = failed = 0
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.onnx"))):
    try:
        m = onnx.load(f)
        onnx.checker.check_model(m, full_check=True)
        i, o = m.graph.input[0], m.graph.output[0]
        assert i.name == "input" and o.name == "output", (i.name, o.name)
        assert i.type.tensor_type.shape.dim[0].dim_param == "batch", "the batch dimension is symbolic"
        if i.type.tensor_type.elem_type == onnx.TensorProto.INT32:  # token ids: the length too
            assert i.type.tensor_type.shape.dim[1].dim_param == "sequence", "the sequence dimension is symbolic"
        print(f"ok   {os.path.basename(f)}: checker (full_check), opset {m.opset_import[0].version}, {len(m.graph.node)} nodes")
        passed += 1
    except Exception as e:  # noqa: BLE001 — every failure is reported
        print(f"FAIL {os.path.basename(f)}: {e}")
        failed += 1
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed or not passed else 0)
