#!/usr/bin/env node
// Embedding speed of llama.cpp (node-llama-cpp 3.22.1's prebuilt CPU build, as installed for llamacpp-ref) on one
// GGUF: N random texts of about L tokens each (special tokens included), one embedding context, T threads,
// texts embedded one after another (node-llama-cpp's embedding context takes one sequence per call).
// Prints one JSON line: inputs, tokens, seconds, inputs_per_s, tokens_per_s.
// Usage: node tools/embeddings/llamacpp-embed-speed.mjs --model F.gguf [--inputs 256] [--tokens 128] [--threads 2]
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
if (!args.model) { console.error("usage: --model F.gguf [--inputs 256] [--tokens 128] [--threads 2]"); process.exit(2); }
const inputs = Number(args.inputs ?? 256), tokens = Number(args.tokens ?? 128), threads = Number(args.threads ?? 2);
const home = process.env.LLAMACPP_REF_HOME ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "hearth-llamacpp-ref");
const require = createRequire(join(home, "node_modules", "noop.js"));
const { getLlama } = await import(require.resolve("node-llama-cpp"));

const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" });
const model = await llama.loadModel({ modelPath: args.model, gpuLayers: 0 });
const ctx = await model.createEmbeddingContext({ contextSize: 512, batchSize: 512, threads });

// Deterministic random words (xorshift), extended until the text has tokens - 2 tokens (CLS and SEP make the rest).
const words = ["time", "river", "system", "light", "model", "garden", "number", "stone", "signal", "market", "window",
    "engine", "winter", "paper", "forest", "question", "bridge", "memory", "silver", "harbor", "planet", "music", "orange"];
let state = 12345;
const rand = () => { state ^= state << 13; state ^= state >>> 17; state ^= state << 5; return (state >>> 0) / 4294967296; };
const texts = [];
for (let i = 0; i < inputs; i++) {
    let t = "";
    while (model.tokenize(t).length < tokens - 2) t += (t ? " " : "") + words[Math.floor(rand() * words.length)];
    texts.push(t);
}
await ctx.getEmbeddingFor(texts[0]); // warm-up
let total = 0;
const start = process.hrtime.bigint();
for (const t of texts) { await ctx.getEmbeddingFor(t); total += model.tokenize(t).length + 2; }
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(JSON.stringify({ peer: "llama.cpp via node-llama-cpp 3.22.1", threads, inputs, tokens: total, seconds,
    inputs_per_s: inputs / seconds, tokens_per_s: total / seconds }));
await ctx.dispose(); await model.dispose(); await llama.dispose();
