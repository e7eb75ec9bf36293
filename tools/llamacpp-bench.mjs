#!/usr/bin/env node
// Single-stream speed of llama.cpp (the prebuilt CPU build in node-llama-cpp, installed by
// ../shared/tools/llamacpp-ref/install.sh) on a GGUF, for side-by-side numbers with `hearth generate`.
// Run by hand. usage: node tools/llamacpp-bench.mjs MODEL.gguf PROMPT.txt [--threads 2] [--decode 64] [--runs 3]
// Prints prompt tokens/s (the whole prompt in one batch) and decode tokens/s (greedy, one token per step), median of runs.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadLlama } from "./llamacpp-load.mjs";

const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { threads: { type: "string", default: "2" }, decode: { type: "string", default: "64" }, runs: { type: "string", default: "3" } },
});
if (positionals.length !== 2) { console.error("usage: node tools/llamacpp-bench.mjs MODEL.gguf PROMPT.txt [--threads 2] [--decode 64] [--runs 3]"); process.exit(2); }
const [modelPath, promptPath] = positionals;
const { llama } = await loadLlama();
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
const threads = Number(values.threads), decode = Number(values.decode), runs = Number(values.runs);
const prompt = model.tokenize(readFileSync(promptPath, "utf8"));
const ctx = await model.createContext({ contextSize: prompt.length + decode + 16, batchSize: Math.max(512, prompt.length), threads, sequences: 1 });
const seq = ctx.getSequence();
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pp = [], tg = [];
for (let r = 0; r < runs; r++) {
    await seq.clearHistory();
    const input = prompt.map((id, i) => (i === prompt.length - 1 ? [id, { generateNext: { token: true, options: { temperature: 0 } } }] : id));
    let t0 = performance.now();
    let res = await seq.controlledEvaluate(input);
    pp.push(prompt.length / ((performance.now() - t0) / 1000));
    let next = res[input.length - 1].next.token;
    t0 = performance.now();
    for (let i = 0; i < decode; i++) {
        res = await seq.controlledEvaluate([[next, { generateNext: { token: true, options: { temperature: 0 } } }]]);
        next = res[0].next.token;
    }
    tg.push(decode / ((performance.now() - t0) / 1000));
}
console.log(JSON.stringify({ model: modelPath, threads, prompt_tokens: prompt.length, decode_tokens: decode, runs,
    prompt_tok_s: +median(pp).toFixed(2), decode_tok_s: +median(tg).toFixed(2), version: llama.llamaCppRelease }));
await ctx.dispose(); await model.dispose();
