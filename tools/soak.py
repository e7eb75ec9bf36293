#!/usr/bin/env python3
"""Soak test for `hearth serve` (issue 13; by hand, not in CI).

Starts a server on a GGUF (default: the 1B synthetic model), then runs a few concurrent clients for a while with
mixed load: streaming OpenAI chat (SSE), streaming Ollama generate (NDJSON) and non-streaming completions, random
output lengths, random early disconnects, and enough concurrency against a small queue that some requests get 429.
Every request is accounted for: completed, 429 (with Retry-After), or cut by the client on purpose; anything else
(5xx, a broken connection, a stream that ends without its final event, a timeout) is "lost". Samples the server's
RSS and KV blocks in use over time; at the end waits for the engine to go idle and reports blocks leaked.

    ./hearth synth --preset llama-3.2-1b --quant Q8_0 --output /tmp/1b.gguf
    python3 tools/soak.py --model /tmp/1b.gguf --minutes 10 --streams 4

Exit code 0 only when no request was lost and no KV block leaked. Standard library only.
"""
import argparse, http.client, json, os, random, re, socket, subprocess, sys, threading, time

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"): return int(line.split()[1]) / 1024
    except OSError:
        return None

def metrics(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/metrics"); text = c.getresponse().read().decode(); c.close()
    def total(name):
        return sum(float(v) for v in re.findall(rf"^{re.escape(name)}(?:{{[^}}]*}})? (\S+)$", text, re.M))
    return {"blocks_used": total("hearth:kv_cache_blocks_used"), "running": total("hearth:num_requests_running"),
            "waiting": total("hearth:num_requests_waiting")}

class Stats:
    def __init__(self):
        self.lock = threading.Lock(); self.counts = {}; self.lost = []
    def add(self, kind, detail=None):
        with self.lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            if kind == "lost" and len(self.lost) < 20: self.lost.append(detail)

PROMPTS = ["Once upon a time", "The little robot said", "Write a list of fruits:", "In the year 3000,", "Dear diary, today"]

def one_request(port, model, rng, stats, timeout):
    kind = rng.choice(["sse", "ndjson", "plain"])
    n = rng.randint(8, 32)
    cut_after = rng.randint(1, 6) if rng.random() < 0.25 else None  # hang up after this many chunks
    prompt = rng.choice(PROMPTS) + " " + " ".join(rng.choice(PROMPTS).split()[:rng.randint(0, 4)])
    if kind == "sse":
        path, body = "/v1/chat/completions", {"model": model, "messages": [{"role": "user", "content": prompt}], "max_tokens": n, "stream": True}
    elif kind == "ndjson":
        path, body = "/api/generate", {"model": model, "prompt": prompt, "options": {"num_predict": n}, "stream": True}
    else:
        path, body = "/v1/completions", {"model": model, "prompt": prompt, "max_tokens": n}
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        r = c.getresponse()
        if r.status == 429:
            r.read(); stats.add("429"); time.sleep(float(r.getheader("Retry-After", "1")) * rng.random()); return
        if r.status != 200:
            stats.add("lost", f"{path}: HTTP {r.status} {r.read()[:200]!r}"); return
        if kind == "plain":
            data = json.loads(r.read())
            stats.add("ok" if data.get("choices") else "lost", None if data.get("choices") else f"{path}: {data}"); return
        chunks, done = 0, False
        while True:
            line = r.readline()
            if not line: break
            line = line.strip()
            if not line: continue
            chunks += 1
            if kind == "sse" and line == b"data: [DONE]": done = True; break
            if kind == "ndjson":
                obj = json.loads(line)
                if not isinstance(obj, dict) or "error" in obj: stats.add("lost", f"{path}: {obj}"); return
                if obj.get("done"): done = True; break
            if cut_after is not None and chunks >= cut_after:
                c.sock.shutdown(socket.SHUT_RDWR); stats.add("disconnected"); return
        stats.add("ok" if done else "lost", None if done else f"{path}: stream ended without its final event after {chunks} chunks")
    except Exception as e:  # anything unexpected is a lost request, never a dead worker
        stats.add("lost", f"{path}: {type(e).__name__}: {e}")
    finally:
        c.close()

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="/tmp/1b.gguf")
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--streams", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--hearth", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "hearth"),
                    help="command that runs hearth (default: the repo's ./hearth launcher)")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--sample-seconds", type=float, default=30)
    a = ap.parse_args()
    port = free_port()
    model = os.path.splitext(os.path.basename(a.model))[0].lower()  # `serve --model FILE` serves it under this name
    # A small batch and queue so that 4 streams meet 429s.
    cmd = a.hearth.split() + ["serve", "--model", a.model, "--port", str(port), "--threads", str(a.threads),
                              "--max-num-seqs", "2", "--max-queued-requests", "1", "--kv-cache-memory", "1GiB"]
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log = []
    threading.Thread(target=lambda: [log.append(l) for l in server.stdout], daemon=True).start()
    t0 = time.time()
    while not any("hearth: serving" in l for l in log):
        if server.poll() is not None or time.time() - t0 > 600: print("".join(log)); sys.exit("the server did not start")
        time.sleep(0.5)
    print(f"server pid {server.pid} on port {port} ready after {time.time() - t0:.1f} s; soaking {a.minutes} min with {a.streams} streams", flush=True)
    stats, stop = Stats(), time.time() + a.minutes * 60
    def worker(i):
        rng = random.Random(a.seed * 100 + i)
        while time.time() < stop: one_request(port, model, rng, stats, timeout=900)
    workers = [threading.Thread(target=worker, args=(i,)) for i in range(a.streams)]
    for w in workers: w.start()
    samples, start = [], time.time()
    while any(w.is_alive() for w in workers):
        m = metrics(port); rss = rss_mib(server.pid)
        samples.append((time.time() - start, rss, m["blocks_used"], m["running"]))
        with stats.lock: counts = dict(stats.counts)
        print(f"t={samples[-1][0]:6.0f}s rss={rss:7.1f} MiB blocks_used={m['blocks_used']:.0f} running={m['running']:.0f} {counts}", flush=True)
        for _ in range(int(a.sample_seconds * 10)):
            if not any(w.is_alive() for w in workers): break
            time.sleep(0.1)
    for w in workers: w.join()
    deadline = time.time() + 60
    while True:
        m = metrics(port)
        if (m["running"] == 0 and m["waiting"] == 0 and m["blocks_used"] == 0) or time.time() > deadline: break
        time.sleep(0.5)
    rss_end = rss_mib(server.pid)
    errors = [l for l in log if " fail: " in l or "Exception" in l]
    server.terminate(); server.wait(timeout=60)
    total = sum(stats.counts.values())
    summary = {"minutes": a.minutes, "streams": a.streams, "requests": total, "outcomes": stats.counts,
               "lost": stats.counts.get("lost", 0), "blocks_leaked": m["blocks_used"], "still_running": m["running"],
               "rss_mib": {"first": samples[0][1], "max": max(s[1] for s in samples), "end": rss_end},
               "rss_samples": [(round(t), round(r, 1)) for t, r, _, _ in samples], "server_errors_logged": len(errors)}
    print(json.dumps(summary, indent=1))
    for l in stats.lost: print("lost:", l)
    for l in errors[:10]: print("server:", l.rstrip())
    sys.exit(0 if summary["lost"] == 0 and summary["blocks_leaked"] == 0 and not errors else 1)

if __name__ == "__main__":
    main()
