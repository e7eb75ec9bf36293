#!/usr/bin/env node
// Rerank scores of llama.cpp for a GGUF with a rerank prompt template (tokenizer.chat_template.rerank), formatted the
// way llama.cpp's server formats them (format_prompt_rerank): the template with "{query}" and then "{document}"
// replaced everywhere, tokenized with special tokens parsed and none added (common_tokenize(text, false, true)), one
// sequence per document through an embedding context with the GGUF's rank pooling. node-llama-cpp's own ranking
// context formats templated prompts differently (it tokenizes the template's pieces apart and adds tokens), so the
// shared ref.mjs rank command is not what llama-server does for these models; this script is.
// Output (stdout or --out): reference version line, model sha256, template, per document: input_ids, the classifier
// output (for qwen3 llama.cpp softmaxes the yes/no head) and score = that first value for qwen3, else its sigmoid.
// Usage: node tools/embeddings/llamacpp-rerank-template.mjs --model F.gguf --query Q --documents docs.json [--out F]
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const die = (m) => { process.stderr.write(`llamacpp-rerank-template: ${m}\n`); process.exit(1); };
if (!args.model || args.query == null || !args.documents) die("usage: --model F.gguf --query Q --documents docs.json [--out F]");

const home = process.env.LLAMACPP_REF_HOME ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "hearth-llamacpp-ref");
const nlcDir = join(home, "node_modules", "node-llama-cpp");
const version = JSON.parse(readFileSync(join(nlcDir, "package.json"), "utf8")).version;
const { getLlama } = await import(pathToFileURL(join(nlcDir, "dist", "index.js")).href);
let cpuBackend = null;
const llama = await getLlama({ gpu: false, build: "never", logLevel: "debug", logger: (_l, m) => {
    const hit = /loaded CPU backend from (\S+)/.exec(String(m));
    if (hit) cpuBackend = basename(hit[1]);
} });
// The llama.cpp commit: the head named in the package's git bundle header (as the shared ref.mjs reads it).
const bundle = readFileSync(join(nlcDir, "llama", "gitRelease.bundle")).subarray(0, 512).toString("latin1");
const commit = /^([0-9a-f]{40}) /m.exec(bundle)?.[1] ?? null;
const versionLine = `llama.cpp ${llama.llamaCppRelease.release}${commit ? ` (${commit.slice(0, 8)})` : ""} via node-llama-cpp ${version}, ` +
    `${llama.buildType} CPU build${cpuBackend ? ` (${cpuBackend})` : ""}`;

// The shared ref.mjs's settings: F32 K/V, no flash attention, so that only summation order differs from Hearth.
const model = await llama.loadModel({ modelPath: args.model, gpuLayers: 0, defaultContextFlashAttention: false,
    experimentalDefaultContextKvCacheKeyType: "F32", experimentalDefaultContextKvCacheValueType: "F32", defaultContextSwaFullCache: true });
const template = model.fileInfo.metadata?.tokenizer?.["chat_template.rerank"];
if (typeof template !== "string") die(`${args.model}: no tokenizer.chat_template.rerank`);
const arch = model.fileInfo.metadata.general.architecture;
const normalized = arch === "qwen3" || arch === "qwen3vl";
const documents = JSON.parse(readFileSync(args.documents, "utf8")).map((d) => (typeof d === "string" ? d : d.text));
// split/join: a plain replace-all with no $-patterns, as std::string replacement does.
const render = (q, d) => template.split("{query}").join(q).split("{document}").join(d);
const items = documents.map((text, i) => ({ index: i + 1, text, input_ids: Array.from(model.tokenize(render(args.query, text), true)) }));
const nCtx = Math.max(512, ...items.map((d) => d.input_ids.length + 1));
const ctx = await model.createEmbeddingContext({ contextSize: nCtx, batchSize: nCtx, threads: 1 });
for (const d of items) {
    const e = await ctx.getEmbeddingFor(d.input_ids);
    d.output = Array.from(e.vector, (x) => Math.fround(x));
    d.score = normalized ? d.output[0] : 1 / (1 + Math.exp(-d.output[0]));
}
const sha256 = createHash("sha256").update(readFileSync(args.model)).digest("hex");
const result = {
    command: "rank-template",
    reference: { version_line: versionLine, node_llama_cpp: version, llama_cpp_commit: commit },
    model: { file: basename(args.model), sha256, architecture: arch },
    settings: { threads: 1, n_ctx: nCtx, n_batch: nCtx, kv_cache: "F32", flash_attention: false, format: "llama-server format_prompt_rerank: template, {query} then {document} replaced, tokenize(add_special=false, parse_special=true)",
        score: normalized ? "first classifier output (llama.cpp softmaxes the head for this architecture)" : "sigmoid of the first classifier output" },
    template, query: args.query, documents: items,
};
const json = JSON.stringify(result, null, 1) + "\n";
if (args.out) writeFileSync(args.out, json); else process.stdout.write(json);
process.stderr.write(`llamacpp-rerank-template: ${versionLine}\n`);
await ctx.dispose(); await model.dispose(); await llama.dispose();
