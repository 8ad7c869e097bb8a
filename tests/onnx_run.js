// onnx_run.js ORT_DIR WORKDIR — run every exported model of
// WORKDIR/cases.txt (tests/test_onnx.c) in onnxruntime on the inputs
// deepc saw, and compare with deepc's outputs: the largest difference must
// be within each case's tolerance (plus 1e-4 of the value's size: 1e-4 for
// float models; for quantized ones the quantization step, and every row picks
// the same class). Prints one line per case
// and "N passed, N failed".
const path = require('path');
const fs = require('fs');
const ort = require(path.join(process.argv[2], 'node_modules', 'onnxruntime-node'));
const dir = process.argv[3];

function floats(file) {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

(async () => {
  let passed = 0, failed = 0;
  const lines = fs.readFileSync(path.join(dir, 'cases.txt'), 'utf8').trim().split('\n');
  for (const line of lines) {
    const [head, tail] = line.split('|');
    const f = head.trim().split(/\s+/), name = f[0], batch = f[1], dtype = f[2], tol = Number(f[3]);
    const inDims = f.slice(4).map(Number), outDims = tail.trim().split(/\s+/).map(Number);
    try {
      const s = await ort.InferenceSession.create(path.join(dir, name + '.onnx'));
      const raw = fs.readFileSync(path.join(dir, `${name}.${batch}.in`));
      const data = dtype === 'int32' ? new Int32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length))
                                     : new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
      const x = new ort.Tensor(dtype, data, inDims);
      const r = await s.run({ input: x });
      const y = r.output, want = floats(path.join(dir, `${name}.${batch}.out`));
      const same = y.dims.length === outDims.length && y.dims.every((d, i) => d === outDims[i]);
      let worst = 0, far = 0, flips = 0;
      for (let i = 0; i < want.length; i++) {
        const d = Math.abs(y.data[i] - want[i]);
        if (!(d <= worst)) worst = d; // NaN counts as worst
        if (!(d <= tol + 1e-4 * Math.abs(want[i]))) far++;
      }
      if (tol > 1e-4) { // quantized: the same class in every row (last dimension)
        const k = outDims[outDims.length - 1];
        const arg = (a, r) => { let b = 0; for (let j = 1; j < k; j++) if (a[r * k + j] > a[r * k + b]) b = j; return b; };
        for (let r = 0; r < want.length / k; r++) if (arg(y.data, r) !== arg(want, r)) flips++;
      }
      const ok = same && y.data.length === want.length && far === 0 && flips === 0;
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${name} ${batch}: onnxruntime against deepc, max diff ${worst.toExponential(2)} (tolerance ${tol})` + (flips ? `, ${flips} rows pick another class` : '') +
                  (same ? '' : ` (shape ${y.dims} against ${outDims})`));
      ok ? passed++ : failed++;
    } catch (e) {
      console.log(`FAIL ${name} ${batch}: ${e.message}`);
      failed++;
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})();
