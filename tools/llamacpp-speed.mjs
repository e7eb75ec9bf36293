#!/usr/bin/env node
// Single-stream speed of llama.cpp (node-llama-cpp's prebuilt CPU build, installed by
// ../shared/tools/llamacpp-ref/install.sh) on a GGUF file, as the peer of `hearth generate`:
//   node tools/llamacpp-speed.mjs MODEL.gguf [--threads 2] [--prompt 512] [--decode 64] [--runs 3]
// Prints one line: prompt tokens/s (one batch of --prompt tokens) and decode tokens/s (--decode greedy steps after
// it), the median of --runs runs. Run by hand, interleaved with Hearth on the same file; not used in CI.
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { loadLlama } from "./llamacpp-load.mjs";

const { values: o, positionals } = parseArgs({
    allowPositionals: true,
    options: { threads: { type: "string" }, prompt: { type: "string" }, decode: { type: "string" }, runs: { type: "string" } },
});
const model = positionals[0];
if (!model || !existsSync(model)) { console.error("usage: llamacpp-speed.mjs MODEL.gguf [--threads N] [--prompt N] [--decode N] [--runs N]"); process.exit(1); }
const threads = Number(o.threads ?? 2), promptLen = Number(o.prompt ?? 512), decodeLen = Number(o.decode ?? 64), runs = Number(o.runs ?? 3);
const { llama } = await loadLlama();
const m = await llama.loadModel({ modelPath: model, gpuLayers: 0 });
const ctx = await m.createContext({ contextSize: promptLen + decodeLen + 8, batchSize: promptLen, threads, sequences: 1 });
const seq = ctx.getSequence();
const nVocab = m.fileInfo.metadata.tokenizer?.ggml?.tokens?.length ?? 32000;
const prompt = Array.from({ length: promptLen }, (_, i) => 100 + ((i * 7919) % Math.min(20000, nVocab - 200)));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pp = [], tg = [];
for (let r = 0; r < runs; r++) {
    await seq.clearHistory();
    let t = performance.now();
    await seq.evaluateWithoutGeneratingNewTokens(prompt);
    pp.push(promptLen / ((performance.now() - t) / 1000));
    let token = prompt[promptLen - 1];
    t = performance.now();
    for (let i = 0; i < decodeLen; i++) {
        const res = await seq.controlledEvaluate([[token, { generateNext: { token: true, options: { temperature: 0 } } }]]);
        token = res[0].next.token;
    }
    tg.push(decodeLen / ((performance.now() - t) / 1000));
}
console.log(`llama.cpp ${llama.llamaCppRelease.release} ${model}: prompt ${median(pp).toFixed(2)} tokens/s, decode ${median(tg).toFixed(2)} tokens/s (threads ${threads}, median of ${runs})`);
await ctx.dispose(); await m.dispose(); await llama.dispose();
