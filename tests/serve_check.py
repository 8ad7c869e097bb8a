#!/usr/bin/env python3
"""serve_check.py DEEPC WORKDIR — `deepc serve` against real clients.

The models are serve.sh's. Every route; 64 threads with keep-alive
connections get exactly their own answers (compared with `deepc predict`
on the same inputs: numbers, table rows, PNG images, texts); completions
as JSON and as server-sent events equal `deepc generate` with the same
seed, alone and 8 at once; every kind of bad request gets a 4xx with a JSON
error while the server keeps serving (a stalled client is dropped after
--timeout, idle connections past --max-connections do not stop it); the
API key; /metrics; node's fetch; SIGTERM with a stream in flight (it
finishes, the process exits 0)."""
import base64
import gzip
import http.client
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib

DEEPC, W = sys.argv[1], sys.argv[2]
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, flush=True)
    return cond


def start(models, *opts):
    """deepc serve on a free port: (process, port, its stderr lines)."""
    p = subprocess.Popen([DEEPC, "serve", *models, "--port", "0", *opts], stderr=subprocess.PIPE, text=True)
    lines = []
    port = None
    while True:
        line = p.stderr.readline()
        if not line:
            break
        lines.append(line)
        if "serving" in line:
            port = int(line.rsplit(":", 1)[1])
            break
    threading.Thread(target=lambda: lines.extend(p.stderr), daemon=True).start()
    if port is None:
        print("".join(lines))
        sys.exit("FAIL: the server did not start")
    return p, port, lines


def call(port, method, path, body=None, headers=None, conn=None, timeout=60):
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    c.request(method, path, body=data, headers=h)
    r = c.getresponse()
    raw = r.read()
    if not conn:
        c.close()
    return r.status, r.getheader("Content-Type", ""), raw


def jcall(*a, **k):
    s, t, raw = call(*a, **k)
    try:
        return s, json.loads(raw)
    except ValueError:
        return s, {"unparsed": raw[:200]}


def cli_json(*args, stdin=None):
    out = subprocess.run([DEEPC, *args, "--json"], capture_output=True, text=True, input=stdin)
    if out.returncode:
        sys.exit("FAIL: deepc %s: %s" % (" ".join(args), out.stderr[-500:]))
    return [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]


def close_probs(got, want, tol=1e-5):
    return len(got) == len(want) and all(abs(a - b) <= tol for a, b in zip(got, want))


# ---- data -------------------------------------------------------------------
imgs = gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz").read()[16:]
N = 200
pixels = [list(imgs[i * 784:(i + 1) * 784]) for i in range(N)]
# the loader's floats (pixel * (1/255) in single precision): an int8 model
# quantizes its inputs, and a last-bit difference can move a rounding
import numpy as np
floats = [[float(v) for v in np.array(px, np.float32) * np.float32(1.0 / 255.0)] for px in pixels]


def png(px, w=28, h=28):
    raw = b"".join(b"\x00" + bytes(px[r * w:(r + 1) * w]) for r in range(h))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


# ---- the references: deepc predict / generate -------------------------------
ref_mlp = [list(p["probabilities"].values()) for p in cli_json("predict", W + "/mlp.safetensors", "--data", "fashion-mnist", "--limit", str(N), "--probabilities")[-1]["predictions"]]
ref_pr = [list(p["probabilities"].values()) for p in cli_json("predict", W + "/pruned.safetensors", "--data", "fashion-mnist", "--limit", "16", "--probabilities")[-1]["predictions"]]
ref_q8 = [list(p["probabilities"].values()) for p in cli_json("predict", W + "/mlp8.safetensors", "--data", "fashion-mnist", "--limit", "16", "--probabilities")[-1]["predictions"]]
os.makedirs(W + "/png", exist_ok=True)
png_files = []
for i in range(6):
    f = "%s/png/%d.png" % (W, i)
    open(f, "wb").write(png(pixels[i]))
    png_files.append(f)
ref_cnn = [list(p["probabilities"].values()) for p in cli_json("predict", W + "/cnn.safetensors", *png_files, "--probabilities")[-1]["predictions"]]
rows = [l.split(",") for l in open(W + "/weather.csv").read().splitlines()]
header, body_rows = rows[0], rows[1:21]
open(W + "/rows.csv", "w").write("\n".join(",".join(r) for r in [header] + body_rows) + "\n")
ref_tab = cli_json("predict", W + "/weather.safetensors", "--data", W + "/rows.csv", "--probabilities")[-1]["predictions"]
texts = ["a great movie really", "awful plot and bad acting", "i think it was fine", "the story was terrible", "superb"]
open(W + "/texts.txt", "w").write("\n".join(texts) + "\n")
ref_txt = cli_json("predict", W + "/rev.safetensors", "--text", "@" + W + "/texts.txt", "--probabilities")[-1]["predictions"]


def generate(prompt, n, temperature, top_k, seed):
    r = cli_json("generate", W + "/gpt.safetensors", "--prompt", prompt, "--max-tokens", str(n), "--temperature", str(temperature),
                 "--top-k", str(top_k), "--seed", str(seed))
    return r[-1]["generated"]


# ---- the server -----------------------------------------------------------------
models = ["mlp=%s/mlp.safetensors" % W, "q8=%s/mlp8.safetensors" % W, "pruned=%s/pruned.safetensors" % W, "cnn=%s/cnn.safetensors" % W, "weather=%s/weather.safetensors" % W,
          "rev=%s/rev.safetensors" % W, "gpt=%s/gpt.safetensors" % W]
proc, port, log = start(models, "--timeout", "3", "--max-connections", "200", "--max-instances", "64", "--max-body", "1M")

s, h = jcall(port, "GET", "/health")
check(s == 200 and h.get("status") == "ok", "/health: %s %s" % (s, h))
s, h = jcall(port, "GET", "/v1/models")
check(s == 200 and [m["id"] for m in h["data"]] == ["mlp", "q8", "pruned", "cnn", "weather", "rev", "gpt"], "/v1/models: %s" % s)
s, h = jcall(port, "GET", "/v1/models/weather")
check(s == 200 and h["kind"] == "classifier" and h["classes"] == ["no", "yes"] and "columns" in h["accepts"], "/v1/models/weather: %s" % h)
s, h = jcall(port, "GET", "/v1/models/q8")
check(s == 200 and h["dtype"] == "int8" and h["inputs"][0]["shape"] == [28, 28], "/v1/models/q8: %s" % {k: h.get(k) for k in ("dtype", "inputs")})
s, h = jcall(port, "GET", "/v1/models/gpt")
check(s == 200 and h["kind"] == "language_model" and h["context"] == 32, "/v1/models/gpt: %s" % {k: h.get(k) for k in ("kind", "context")})

# ---- 64 clients, keep-alive, each checks its own answers ----------------------------
errors = []
requests_made = [0]
instances_sent = [0]
lock = threading.Lock()


def client(t):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    for k in range(4):
        first, n = (t * 7 + k * 13) % (N - 4), 1 + (t + k) % 4
        s, _, raw = call(port, "POST", "/v1/models/mlp:predict", {"instances": floats[first:first + n]}, conn=c)
        with lock:
            requests_made[0] += 1
            instances_sent[0] += n
        if s != 200:
            errors.append("client %d: status %d %s" % (t, s, raw[:200]))
            continue
        preds = json.loads(raw)["predictions"]
        for i, p in enumerate(preds):
            got = list(p["probabilities"].values())
            if not close_probs(got, ref_mlp[first + i]) or p["class_index"] != max(range(10), key=lambda j: ref_mlp[first + i][j]):
                errors.append("client %d request %d instance %d: not its own answer" % (t, k, i))
    c.close()


th = [threading.Thread(target=client, args=(t,)) for t in range(64)]
for x in th:
    x.start()
for x in th:
    x.join()
check(not errors and requests_made[0] == 256, "64 keep-alive clients: %d requests, %s" % (requests_made[0], errors[:3]))

# the fast reader of arrays of numbers gives the bits jansson's path gives
# (an extra key sends a body there): numbers written every way JSON allows
odd = ["0", "-0", "1", "-1.5", "0.25e1", "2.5E-3", "1e+2", "123456789012345678901.5", "3.141592653589793238", "1e-40", "-7e22",
       "0.000001", "12.5e-30", "99999999999999999999e-5"]
row = ",".join(odd[i % len(odd)] for i in range(784))
fast = call(port, "POST", "/v1/models/mlp:predict", b'{"instances": [[%s], [%s]]}' % (row.encode(), row.encode()))
slow = call(port, "POST", "/v1/models/mlp:predict", b'{"signature_name": "x", "instances": [[%s], [%s]]}' % (row.encode(), row.encode()))
check(fast[0] == 200 and fast == slow, "fast and slow readers agree: %s / %s" % (fast[2][:100], slow[2][:100]))

# the other input kinds, each against deepc predict
s, h = jcall(port, "POST", "/v1/models/q8:predict", {"instances": floats[:16]})
check(s == 200 and all(close_probs(list(p["probabilities"].values()), r) for p, r in zip(h["predictions"], ref_q8)),
      "int8 MLP predictions: worst difference %g" % max(abs(a - b) for p, r in zip(h.get("predictions", []), ref_q8)
                                                         for a, b in zip(p["probabilities"].values(), r)))
s, h = jcall(port, "POST", "/v1/models/pruned:predict", {"instances": floats[:16]})
check(s == 200 and all(close_probs(list(p["probabilities"].values()), r) for p, r in zip(h["predictions"], ref_pr)), "95%% pruned MLP predictions")
s, h = jcall(port, "POST", "/v1/models/mlp:predict", {"instances": [[floats[0][r * 28:(r + 1) * 28] for r in range(28)]]})
check(s == 200 and close_probs(list(h["predictions"][0]["probabilities"].values()), ref_mlp[0]), "a nested 28x28 instance")
b64 = [{"b64": base64.b64encode(open(f, "rb").read()).decode()} for f in png_files]
s, h = jcall(port, "POST", "/v1/models/cnn:predict", {"instances": b64})
check(s == 200 and all(close_probs(list(p["probabilities"].values()), r) for p, r in zip(h["predictions"], ref_cnn)), "base64 PNGs: %s" % str(h)[:300])
objs = [dict(zip(header[:3], [float(r[0]), float(r[1]), r[2]])) for r in body_rows]
s, h = jcall(port, "POST", "/v1/models/weather:predict", {"instances": objs})
ok = s == 200 and len(h["predictions"]) == len(ref_tab)
for p, r in zip(h.get("predictions", []), ref_tab):
    ok = ok and p["class"] == r["class"] and close_probs(list(p["probabilities"].values()), list(r["probabilities"].values()))
check(ok, "table rows as objects of columns: %s" % str(h)[:300])
s, h = jcall(port, "POST", "/v1/models/rev:predict", {"instances": texts})
ok = s == 200 and len(h["predictions"]) == len(ref_txt)
for p, r in zip(h.get("predictions", []), ref_txt):
    ok = ok and p["class"] == r["class"] and abs(p["probability"] - r["probability"]) < 1e-5
check(ok, "texts: %s vs %s" % (str(h)[:200], ref_txt[:2]))

# ---- completions --------------------------------------------------------------------
want = generate("The ", 30, 0.8, 10, 5)
s, h = jcall(port, "POST", "/v1/completions", {"prompt": "The ", "max_tokens": 30, "temperature": 0.8, "top_k": 10, "seed": 5})
check(s == 200 and h["choices"][0]["text"] == want and h["usage"]["completion_tokens"] == 30 and h["choices"][0]["finish_reason"] == "length",
      "completion as JSON equals deepc generate: %r vs %r" % (h.get("choices"), want))


def sse(port, body, on_first=None):
    """The events of a streamed completion: (texts, final event, saw [DONE])."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    c.request("POST", "/v1/completions", body=json.dumps(dict(body, stream=True)), headers={"Content-Type": "application/json"})
    r = c.getresponse()
    if r.status != 200 or "text/event-stream" not in r.getheader("Content-Type", ""):
        return None, r.status, False
    texts, final, done = [], None, False
    for line in r:
        line = line.decode().rstrip("\n")
        if not line.startswith("data: "):
            continue
        if line == "data: [DONE]":
            done = True
            break
        ev = json.loads(line[6:])
        ch = ev["choices"][0]
        if ch["finish_reason"]:
            final = ev
        else:
            texts.append(ch["text"])
            if on_first and len(texts) == 1:
                on_first()
    c.close()
    return texts, final, done


texts_ev, final, done = sse(port, {"prompt": "The ", "max_tokens": 30, "temperature": 0.8, "top_k": 10, "seed": 5})
check(texts_ev is not None and "".join(texts_ev) == want and len(texts_ev) == 30 and done and final["choices"][0]["finish_reason"] == "length",
      "SSE: a token per event, equal to deepc generate: %r" % (texts_ev,))
# a stop string: the text ends before it
stop = want[8]
s, h = jcall(port, "POST", "/v1/completions", {"prompt": "The ", "max_tokens": 30, "temperature": 0.8, "top_k": 10, "seed": 5, "stop": [stop]})
check(s == 200 and h["choices"][0]["text"] == want[:want.index(stop)] and h["choices"][0]["finish_reason"] == "stop", "stop %r: %s" % (stop, h))
texts_ev, final, done = sse(port, {"prompt": "The ", "max_tokens": 30, "temperature": 0.8, "top_k": 10, "seed": 5, "stop": stop})
check(texts_ev is not None and "".join(texts_ev) == want[:want.index(stop)] and final["choices"][0]["finish_reason"] == "stop", "SSE with a stop")
# 8 streams at once (continuous batching): each as deepc generate greedy gives it
prompts = ["The ", "A man ", "Why ", "You will ", "Love ", "It is ", "When ", "No "]
wants = [generate(p, 40, 0, 0, 1) for p in prompts]
got = [None] * 8


def stream(i):
    got[i] = sse(port, {"prompt": prompts[i], "max_tokens": 40, "temperature": 0, "seed": 1})[0]


th = [threading.Thread(target=stream, args=(i,)) for i in range(8)]
for x in th:
    x.start()
for x in th:
    x.join()
check(all(g is not None and "".join(g) == w for g, w in zip(got, wants)), "8 concurrent streams equal deepc generate: %s" %
      [("".join(g) if g else g, w) for g, w in zip(got, wants) if not g or "".join(g) != w][:2])

# node's fetch: a prediction and a streamed completion
node = subprocess.run(["node", "-e", """
const port = process.argv[1];
(async () => {
  const p = await fetch(`http://127.0.0.1:${port}/v1/models/rev:predict`, {method: 'POST', body: JSON.stringify({instances: ['a great movie really']})});
  const pj = await p.json();
  const r = await fetch(`http://127.0.0.1:${port}/v1/completions`, {method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({prompt: 'The ', max_tokens: 30, temperature: 0.8, top_k: 10, seed: 5, stream: true})});
  const dec = new TextDecoder(); let buf = '', text = '';
  for await (const chunk of r.body) buf += dec.decode(chunk, {stream: true});
  for (const ev of buf.split('\\n\\n')) if (ev.startsWith('data: {')) text += JSON.parse(ev.slice(6)).choices[0].text;
  console.log(JSON.stringify({status: p.status, cls: pj.predictions[0].class, text}));
})().catch(e => { console.error(e); process.exit(1); });
""", str(port)], capture_output=True, text=True)
try:
    nj = json.loads(node.stdout)
except ValueError:
    nj = {}
check(node.returncode == 0 and nj.get("status") == 200 and nj.get("cls") == ref_txt[0]["class"] and nj.get("text") == want,
      "node fetch: %s %s" % (node.stdout[-300:], node.stderr[-300:]))
# curl, with the body from a file
open(W + "/req.json", "w").write(json.dumps({"instances": floats[:2]}))
cu = subprocess.run(["curl", "-s", "-w", "\n%{http_code}", "-X", "POST", "http://127.0.0.1:%d/v1/models/mlp:predict" % port, "-d", "@" + W + "/req.json"],
                    capture_output=True, text=True)
lines = cu.stdout.rsplit("\n", 1)
check(cu.returncode == 0 and lines[-1] == "200" and close_probs(list(json.loads(lines[0])["predictions"][1]["probabilities"].values()), ref_mlp[1]),
      "curl: %s" % cu.stdout[-200:])

# ---- bad requests: a 4xx with a JSON error each, and the server goes on -------------
bad = [
    ("POST", "/v1/models/mlp:predict", b"{not json", 400, "invalid JSON"),
    ("POST", "/v1/models/mlp:predict", {"instances": [[1, 2, 3]]}, 400, "shape 3"),
    ("POST", "/v1/models/mlp:predict", {"instances": [[[1, 2], [3]]]}, 400, "rectangular"),
    ("POST", "/v1/models/mlp:predict", {"instances": ["text"]}, 400, "does not read text"),
    ("POST", "/v1/models/mlp:predict", {"instances": [[True] * 784]}, 400, "rectangular array of numbers"),
    ("POST", "/v1/models/mlp:predict", {"instances": [floats[0]] * 65}, 400, "65 instances"),
    ("POST", "/v1/models/mlp:predict", {"rows": []}, 400, "\"instances\""),
    ("POST", "/v1/models/mlp:predict", {"instances": []}, 400, "0 instances"),
    ("POST", "/v1/models/cnn:predict", {"instances": [{"b64": "bm90IGFuIGltYWdl"}]}, 400, "instance 0"),
    ("POST", "/v1/models/cnn:predict", {"instances": [{"b64": "!!!"}]}, 400, "not base64"),
    ("POST", "/v1/models/weather:predict", {"instances": [{"temperature": 3}]}, 400, "instance 0"),
    ("POST", "/v1/models/weather:predict", {"instances": [{"temperature": [1]}]}, 400, "not a cell"),
    ("POST", "/v1/models/rev:predict", {"instances": [[5000] * 20]}, 400, "outside the vocabulary"),
    ("POST", "/v1/models/nope:predict", {"instances": [[0]]}, 404, "no model"),
    ("GET", "/v1/models/nope", None, 404, "no model"),
    ("GET", "/index.html", None, 404, "no route"),
    ("GET", "/../../etc/passwd", None, 404, "no route"),
    ("GET", "/v1/models/mlp:predict", None, 405, "use POST"),
    ("DELETE", "/v1/models", None, 405, "use GET"),
    ("POST", "/v1/models/gpt:predict", {"instances": [[0] * 32]}, 400, "language model"),
    ("POST", "/v1/completions", {"prompt": "x" * 100}, 400, "over the model's context"),
    ("POST", "/v1/completions", {"prompt": "The", "max_tokens": 0}, 400, "max_tokens"),
    ("POST", "/v1/completions", {"prompt": "The", "temperature": "hot"}, 400, "temperature"),
    ("POST", "/v1/completions", {"prompt": "The", "top_p": 2}, 400, "top_p"),
    ("POST", "/v1/completions", {"prompt": "The", "stop": [1]}, 400, "stop"),
    ("POST", "/v1/completions", {"prompt": 5}, 400, "prompt"),
    ("POST", "/v1/completions", {"prompt": "The", "n": 3}, 400, "\"n\""),
    ("POST", "/v1/completions", {"prompt": "The", "model": "mlp"}, 400, "not a language model"),
    ("POST", "/v1/completions", {"prompt": "The", "model": "zzz"}, 404, "no model"),
    ("POST", "/v1/completions", b"[1,2]", 400, "object"),
]
for method, path, body, status, needle in bad:
    try:
        s, t, raw = call(port, method, path, body)
        j = json.loads(raw)
        check(s == status and "application/json" in t and needle in j["error"]["message"], "%s %s -> %d %s" % (method, path, s, raw[:200]))
    except Exception as e:  # noqa: BLE001 (a broken reply is a failure, not a crash of the test)
        check(False, "%s %s: %r" % (method, path, e))


def raw_exchange(data, wait=10):
    """Send raw bytes, read until the server closes: (reply, seconds)."""
    so = socket.create_connection(("127.0.0.1", port))
    so.settimeout(wait)
    t0 = time.time()
    so.sendall(data)
    out = b""
    try:
        while True:
            k = so.recv(65536)
            if not k:
                break
            out += k
    except socket.timeout:
        pass
    so.close()
    return out, time.time() - t0


out, _ = raw_exchange(b"POST /v1/models/mlp:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n")
check(out.startswith(b"HTTP/1.1 413") and b"max-body" in out, "an announced body over --max-body: %r" % out[:100])
out, _ = raw_exchange(b"POST /v1/models/mlp:predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                      b"".join(b"%x\r\n%s\r\n" % (65536, b"1" * 65536) for _ in range(20)) + b"0\r\n\r\n")
check(out.startswith(b"HTTP/1.1 413"), "a chunked body over --max-body: %r" % out[:100])
out, secs = raw_exchange(b"POST /v1/models/mlp:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"inst", wait=15)
check(secs < 10, "a client that stalls mid-body is dropped after --timeout 3 (%.1f s)" % secs)
# 400 idle connections (the limit is 200): the server drops what is over, then serves again
idle = []
for i in range(400):
    try:
        idle.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    except OSError:
        break
time.sleep(0.5)
check(proc.poll() is None, "the server lives with %d idle connections open" % len(idle))
for so in idle:
    so.close()
deadline, s = time.time() + 15, 0
while time.time() < deadline and s != 200:
    try:
        s, _, _ = call(port, "GET", "/health", timeout=5)
    except OSError:
        time.sleep(0.2)
check(s == 200, "serving again once the idle connections are gone")
s, h = jcall(port, "POST", "/v1/models/mlp:predict", {"instances": floats[:1]})
check(s == 200 and close_probs(list(h["predictions"][0]["probabilities"].values()), ref_mlp[0]), "and answering predictions after all of it")

# ---- metrics --------------------------------------------------------------------------
s, t, raw = call(port, "GET", "/metrics")
m = {}
for line in raw.decode().splitlines():
    if line and not line.startswith("#"):
        k, v = line.rsplit(" ", 1)
        m[k] = float(v)
ok200 = m.get('deepc_requests_total{route="predict",code="200"}', 0)
check(s == 200 and "text/plain" in t and ok200 >= 256 + 6, "metrics: predict 200s %s" % ok200)
check(m.get('deepc_requests_total{route="predict",code="400"}', 0) >= 10 and m.get('deepc_requests_total{route="other",code="404"}', 0) >= 2,
      "metrics count the 4xx")
check(m.get("deepc_batch_size_count", 0) < m.get("deepc_batch_size_sum", 0), "metrics: some batches held several requests' rows (%s runs, %s rows)" %
      (m.get("deepc_batch_size_count"), m.get("deepc_batch_size_sum")))
check(m.get("deepc_generated_tokens_total", 0) >= 30 * 3 + 40 * 8, "metrics: generated tokens %s" % m.get("deepc_generated_tokens_total"))
check(m.get('deepc_request_duration_seconds_count{route="predict"}', 0) == sum(v for k, v in m.items() if k.startswith('deepc_requests_total{route="predict"')),
      "metrics: the latency histogram counts every predict request")

# ---- SIGTERM with a stream in flight: it finishes, new connections are refused, exit 0 ------
res = {}


def long_stream():
    res["r"] = sse(port, {"prompt": "The ", "max_tokens": 3000, "temperature": 0.8, "seed": 2}, on_first=lambda: proc.send_signal(signal.SIGTERM))


t = threading.Thread(target=long_stream)
t.start()
t.join(300)
texts_ev, final, done = res.get("r", (None, None, False))
check(texts_ev is not None and done and final and final["usage"]["completion_tokens"] == 3000, "the stream in flight at SIGTERM finished")
try:
    rc = proc.wait(60)
except subprocess.TimeoutExpired:
    proc.kill()
    rc = "hung"
check(rc == 0, "exit status after SIGTERM: %s; %s" % (rc, "".join(log[-3:])))
try:
    call(port, "GET", "/health", timeout=2)
    check(False, "a connection after SIGTERM was accepted")
except OSError:
    check(True, "")

# ---- the API key -------------------------------------------------------------------
open(W + "/key", "w").write("  s3cret-key \n")
proc, port, log = start(["mlp=%s/mlp.safetensors" % W], "--api-key-file", W + "/key")
s, _, _ = call(port, "GET", "/health")
check(s == 200, "/health needs no key")
s, h = jcall(port, "GET", "/v1/models")
check(s == 401 and "Authorization" in h["error"]["message"], "no key: %s" % s)
s, _ = jcall(port, "POST", "/v1/models/mlp:predict", {"instances": floats[:1]}, headers={"Authorization": "Bearer s3cret-kez"})
check(s == 401, "a wrong key: %s" % s)
s, _ = jcall(port, "POST", "/v1/models/mlp:predict", {"instances": floats[:1]}, headers={"Authorization": "Bearer s3cret-key-and-more"})
check(s == 401, "a longer key: %s" % s)
s, h = jcall(port, "POST", "/v1/models/mlp:predict", {"instances": floats[:1]}, headers={"Authorization": "Bearer s3cret-key"})
check(s == 200 and close_probs(list(h["predictions"][0]["probabilities"].values()), ref_mlp[0]), "the right key: %s" % s)
proc.send_signal(signal.SIGINT)
check(proc.wait(60) == 0, "Ctrl-C (SIGINT) stops it cleanly too")

print("serve_check: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
