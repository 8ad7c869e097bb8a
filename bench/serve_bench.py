#!/usr/bin/env python3
"""serve_bench.py DEEPC WORKDIR SECONDS — deepc serve under load (bench/serve.sh
makes the models and calls this).

Prediction (Fashion MLP, spam LSTM): requests/s and p50/p99 latency from
Debian's wrk at 1, 8 and 64 connections, one instance per request
(bench/serve_post.lua sends the bodies), against what `deepc predict`
reaches on the same inputs in one process (instances/s, its start-up
subtracted); at 64 connections the batching window at 0, 2 and 5 ms.

Generation (char GPT, GPT-2 small): aggregate generated tokens/s with 1, 4
and 16 concurrent streams (SSE), and the median time to first token."""
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time

DEEPC, W, SECS = sys.argv[1], sys.argv[2], int(sys.argv[3])
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start(model, *opts):
    p = subprocess.Popen([DEEPC, "serve", model, "--port", "0", *opts], stderr=subprocess.PIPE, text=True)
    while True:
        line = p.stderr.readline()
        if not line:
            sys.exit("the server did not start")
        if "serving" in line:
            return p, int(line.rsplit(":", 1)[1])


def stop(p):
    p.terminate()
    p.wait()


def ms(s):
    v, unit = float(re.match(r"[\d.]+", s).group()), re.sub(r"[\d.]", "", s)
    return v * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


def wrk(port, path, bodies, conns):
    out = subprocess.run(["wrk", "-t", "2" if conns > 1 else "1", "-c", str(conns), "-d", "%ds" % SECS, "--latency", "-s",
                          os.path.join(ROOT, "bench/serve_post.lua"), "http://127.0.0.1:%d%s" % (port, path)],
                         capture_output=True, text=True, env=dict(os.environ, BODIES=bodies)).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    errs = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errs:
        sys.exit("wrk saw %s failed requests:\n%s" % (errs.group(1), out))
    return rps, p50, p99


def predict_rate(model, args, n):
    """Instances per second of `deepc predict` in one process, start-up (a run of 1) subtracted."""
    def run(k):
        t0 = time.time()
        subprocess.run([DEEPC, "predict", model, *args, "--limit", str(k)], capture_output=True, check=True)
        return time.time() - t0
    full = statistics.median(run(n) for _ in range(3))
    base = statistics.median(run(1) for _ in range(3))
    return (n - 1) / max(full - base, 1e-9)


def predict_bench(name, model, bodies, pred_args, n):
    """The ratio is to the faster of two baselines, one before the server runs and one after (a shared machine drifts)."""
    before = predict_rate(model, pred_args, n)
    rows = []
    many = bodies.replace(".txt", "32.txt")
    for window, conns, per, threads in [(2, 1, 1, 1), (2, 8, 1, 1), (2, 64, 1, 1), (0, 64, 1, 1), (5, 64, 1, 1), (2, 64, 1, 2), (2, 64, 32, 1), (2, 64, 32, 2)]:
        p, port = start(model, "--batch-window-ms", str(window), "--max-connections", "256", "--threads", str(threads))
        rps, p50, p99 = wrk(port, "/v1/models/%s:predict" % os.path.splitext(os.path.basename(model))[0], bodies if per == 1 else many, conns)
        stop(p)
        rows.append((conns, window, threads, per, rps, rps * per, p50, p99))
    rate = max(before, predict_rate(model, pred_args, n))
    print("\n### %s: deepc predict in one process: %.0f instances/s (%d instances; %.0f before the server runs)\n" % (name, rate, n, before))
    print("| connections | window | threads | instances/request | requests/s | instances/s | p50 | p99 | vs deepc predict |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print("| %d | %g ms | %d | %d | %.0f | %.0f | %.2f ms | %.2f ms | %.2f× |" % (r + (r[5] / rate,)), flush=True)


def stream(port, prompt, max_tokens, out):
    """One streamed completion, read in large pieces (a client that parsed
    every event in Python measured itself): (time to first token, tokens)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    t0 = time.time()
    c.request("POST", "/v1/completions", body=json.dumps({"prompt": prompt, "max_tokens": max_tokens, "temperature": 0.8, "top_k": 40,
                                                          "seed": len(out) + 1, "stream": True}))
    r = c.getresponse()
    first, buf = None, b""
    while True:
        k = r.read1(1 << 16)
        if not k:
            break
        if first is None and b"data: {" in k:
            first = time.time() - t0
        buf += k
    final = [l for l in buf.split(b"\n\n") if b'"usage"' in l][-1]
    out.append((first, json.loads(final[6:])["usage"]["completion_tokens"]))


def generate_bench(name, model, prompt, max_tokens, threads):
    print("\n### %s: %d tokens per stream after a prompt of %r, --threads %d\n" % (name, max_tokens, prompt, threads))
    print("| streams | tokens/s (all streams) | vs 1 stream | median time to first token |")
    print("|---:|---:|---:|---:|")
    p, port = start(model, "--max-streams", "16", "--threads", str(threads))
    stream(port, prompt, 4, [])  # warm up
    single = None
    for k in (1, 4, 16):
        out = []
        th = [threading.Thread(target=stream, args=(port, prompt, max_tokens, out)) for _ in range(k)]
        t0 = time.time()
        for t in th:
            t.start()
        for t in th:
            t.join()
        secs = time.time() - t0
        rate = sum(n for _, n in out) / secs
        single = single or rate
        print("| %d | %.1f | %.2f× | %.1f ms |" % (k, rate, rate / single, 1e3 * statistics.median(f for f, _ in out)), flush=True)
    stop(p)


which = sys.argv[4:] or ["mlp", "spam", "char_gpt", "gpt2"]
if "mlp" in which:
    predict_bench("Fashion MLP", W + "/mlp.safetensors", W + "/mlp_bodies.txt", ["--data", "fashion-mnist"], 10000)
if "spam" in which:
    predict_bench("spam LSTM", W + "/spam.safetensors", W + "/spam_bodies.txt", ["--data", os.path.join(ROOT, "data/spam.csv")], 2000)
if "char_gpt" in which:
    for t in (1, 2):
        generate_bench("char_gpt", W + "/char_gpt.safetensors", "The ", 200, t)
if "gpt2" in which and os.path.exists(W + "/gpt2.safetensors"):
    for t in (1, 2):
        generate_bench("GPT-2 small (random weights)", W + "/gpt2.safetensors", "The meaning of life is", 32, t)
