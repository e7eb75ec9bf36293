#!/usr/bin/env node
// Serving-shaped load on llama.cpp (the prebuilt CPU build in node-llama-cpp, installed by
// ../shared/tools/llamacpp-ref/install.sh): C sequences of one context decoded together, the way `llama-server -np C`
// batches its slots, so `hearth bench --concurrency C` has a peer on machines without a llama-server build.
// Run by hand. usage: node tools/llamacpp-parallel.mjs MODEL.gguf [--concurrency 16] [--requests 48] [--input-len 128]
//   [--output-len 64] [--threads 2] [--kv-tokens N] [--seed 1]
// Prompts are random token ids (the same lengths as `hearth bench --ignore-eos`); greedy; EOS is not a stop.
// Prints output tokens/s, TTFT and inter-token latency percentiles, and the process's peak resident memory.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadLlama } from "./llamacpp-load.mjs";

const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
        concurrency: { type: "string", default: "16" }, requests: { type: "string", default: "48" },
        "input-len": { type: "string", default: "128" }, "output-len": { type: "string", default: "64" },
        threads: { type: "string", default: "2" }, "kv-tokens": { type: "string" }, seed: { type: "string", default: "1" },
    },
});
if (positionals.length !== 1) { console.error("usage: node tools/llamacpp-parallel.mjs MODEL.gguf [--concurrency 16] [--requests 48] [--input-len 128] [--output-len 64] [--threads 2] [--kv-tokens N]"); process.exit(2); }
const [modelPath] = positionals;
const c = Number(values.concurrency), n = Number(values.requests), inLen = Number(values["input-len"]), outLen = Number(values["output-len"]);
const { llama } = await loadLlama();
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
const kvTokens = values["kv-tokens"] ? Number(values["kv-tokens"]) : c * (inLen + outLen + 16);
// One context, C sequences: llama-server's slots. node-llama-cpp's contextSize is per sequence (the KV cache holds
// contextSize × sequences cells), so the total KV size is split here. Batch size as llama-server's default.
const ctx = await model.createContext({ contextSize: Math.ceil(kvTokens / c), sequences: c, batchSize: 2048, threads: Number(values.threads) });

let state = Number(values.seed) >>> 0 || 1; // xorshift32: the same prompts every run
const next = () => (state ^= state << 13, state ^= state >>> 17, state ^= state << 5, state >>> 0);
// Ordinary ids (past the byte/special tokens at the start of byte-BPE and SentencePiece vocabularies), within the vocabulary.
const nVocab = model.fileInfo.metadata?.tokenizer?.ggml?.tokens?.length ?? 32000;
const vocab = Math.min(32000, nVocab);
const low = Math.min(256, Math.floor(vocab / 4));
const prompts = Array.from({ length: n }, () => Array.from({ length: inLen }, () => low + (next() % (vocab - 2 * low))));

const ttft = [], itl = [];
let produced = 0, taken = 0;
const rss = () => { const s = readFileSync("/proc/self/status", "utf8"); const m = (k) => Number(s.match(new RegExp(`${k}:\\s+(\\d+)`))[1]) * 1024; return { rss: m("VmRSS"), hwm: m("VmHWM") }; };
const loaded = rss();
const t0 = performance.now();
async function slot() {
    const seq = ctx.getSequence();
    while (taken < n) {
        const prompt = prompts[taken++];
        await seq.clearHistory();
        const start = performance.now();
        let last = start, count = 0;
        for await (const token of seq.evaluate(prompt, { temperature: 0 })) {
            const now = performance.now();
            if (count === 0) ttft.push(now - start); else itl.push(now - last);
            last = now;
            if (++count >= outLen) break;
        }
        produced += count;
    }
}
await Promise.all(Array.from({ length: c }, slot));
const wall = (performance.now() - t0) / 1000;
const pct = (xs, p) => { const s = xs.slice().sort((a, b) => a - b); return +s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))].toFixed(1); };
const end = rss();
console.log(JSON.stringify({
    model: modelPath, concurrency: c, requests: n, input_len: inLen, output_len: outLen, kv_tokens: kvTokens,
    output_tok_s: +(produced / wall).toFixed(2), wall_s: +wall.toFixed(1),
    ttft_ms: { p50: pct(ttft, 50), p99: pct(ttft, 99) }, itl_ms: { p50: pct(itl, 50), p99: pct(itl, 99) },
    rss_after_load_mib: Math.round(loaded.rss / 1048576), rss_peak_mib: Math.round(end.hwm / 1048576),
    version: llama.llamaCppRelease,
}));
await ctx.dispose(); await model.dispose();
