#!/usr/bin/env node
// Differential tokenizer testing against llama.cpp's own tokenizer (node-llama-cpp's prebuilt CPU build, installed by
// ../shared/tools/llamacpp-ref/install.sh). Cases use the vocab test format of ../shared/vocab/README.md (.inp: UTF-8
// cases each followed by "\n__ggml_vocab_test__\n"; .out: one line of " id id ..." per case). Run by hand, not in CI.
//
//   node tools/tokenizer-diff.mjs ref  VOCAB.gguf CASES.inp [OUT.out]
//       llama.cpp's ids (llama_tokenize with add_special=false, parse_special=false) in the .out format, to OUT.out or
//       stdout; the version line goes to stderr ("tokenizer-diff: llama.cpp ...").
//   node tools/tokenizer-diff.mjs diff VOCAB.gguf CASES.inp [--expected FILE.out] [--max N] [--hearth CMD]
//       runs llama.cpp (or reads --expected) and Hearth (`./hearth tokenize --model VOCAB --cases CASES`, or CMD
//       with the same arguments) on the cases and prints every disagreement (escaped text, both id lists); the last
//       line is "<vocab>: N of M cases disagree". Exit 1 when any does.
//
// Several VOCAB/CASES pairs can be given to `diff` as VOCAB1 CASES1 VOCAB2 CASES2 ... (one llama.cpp load each).
import { readFileSync, writeFileSync, existsSync, openSync, readSync, closeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { homedir } from "node:os";
import { loadLlama } from "./llamacpp-load.mjs";

const SEPARATOR = Buffer.from("\n__ggml_vocab_test__\n");
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The cases of a .inp file as strings, split on the separator byte-exactly (the final empty piece dropped). */
export function readCases(path) {
    const buf = readFileSync(path);
    const cases = [];
    let pos = 0;
    for (;;) {
        const at = buf.indexOf(SEPARATOR, pos);
        if (at < 0) break;
        cases.push(buf.subarray(pos, at).toString("utf8"));
        pos = at + SEPARATOR.length;
    }
    if (pos !== buf.length) throw new Error(`${path}: text after the last separator`);
    return cases;
}

export function writeCases(path, cases) {
    writeFileSync(path, Buffer.concat(cases.flatMap((c) => [Buffer.from(c, "utf8"), SEPARATOR])));
}

export const formatOut = (rows) => rows.map((ids) => ids.map((id) => ` ${id}`).join("") + "\n").join("");
const parseOut = (text) => text.split("\n").slice(0, -1).map((l) => l.split(/\s+/).filter(Boolean).map(Number));

const refHome = () => process.env.LLAMACPP_REF_HOME ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "hearth-llamacpp-ref");

/** The llama.cpp commit of the installed package: the head named in its git bundle's header (as ref.mjs reads it). */
function llamaCppCommit(nlcDir) {
    const p = join(nlcDir, "llama", "gitRelease.bundle");
    if (!existsSync(p)) return null;
    const fd = openSync(p, "r");
    try {
        const buf = Buffer.alloc(512);
        const n = readSync(fd, buf, 0, buf.length, 0);
        return /^([0-9a-f]{40}) /m.exec(buf.subarray(0, n).toString("latin1"))?.[1] ?? null;
    } finally { closeSync(fd); }
}

let loaded = null;
/** llama.cpp, loaded once, and the line naming its version (ref.mjs's version_line without the CPU kernel variant,
 * which does not touch tokenization). */
async function llamaCpp() {
    if (loaded) return loaded;
    // "fatal" only: node-llama-cpp first sizes a full load of the file (which has no tensors) before the vocab-only load,
    // and that attempt logs a harmless "missing tensor" error.
    const { llama } = await loadLlama({ logLevel: "fatal" });
    const nlcDir = join(refHome(), "node_modules", "node-llama-cpp");
    const nlcVersion = JSON.parse(readFileSync(join(nlcDir, "package.json"), "utf8")).version;
    const commit = llamaCppCommit(nlcDir);
    const version = `llama.cpp ${llama.llamaCppRelease.release}${commit ? ` (${commit.slice(0, 8)})` : ""} ` +
        `via node-llama-cpp ${nlcVersion}, ${llama.buildType} CPU build`;
    loaded = { llama, version };
    return loaded;
}

/** llama.cpp's ids for each case: llama_tokenize(vocab, text, add_special=false, parse_special=false). */
export async function referenceIds(vocabPath, cases) {
    const { llama, version } = await llamaCpp();
    const model = await llama.loadModel({ modelPath: vocabPath, gpuLayers: 0, vocabOnly: true });
    try {
        // model.tokenize(text, false) with no third argument calls common_tokenize(vocab, text, false, false) directly;
        // the empty text short-cuts to [] (llama.cpp gives no ids for it either).
        return { version, rows: cases.map((c) => Array.from(model.tokenize(c, false))) };
    } finally {
        await model.dispose();
    }
}

/** Hearth's ids for each case, from `hearth tokenize --cases` (the .out format). */
function hearthIds(vocabPath, casesPath, hearthCmd) {
    const cmd = hearthCmd ?? join(repoRoot, "hearth");
    const r = spawnSync("bash", ["-c", `${cmd} tokenize --model "$1" --cases "$2"`, "hearth", vocabPath, casesPath],
        { encoding: "utf8", maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`hearth tokenize failed (${r.status}): ${r.stderr}`);
    return parseOut(r.stdout);
}

/** The text as a JSON string: quotes, backslashes and control characters escaped, everything else as is. */
export const escape = (s) => JSON.stringify(s);

async function main() {
    const { values: o, positionals } = parseArgs({
        allowPositionals: true,
        options: { expected: { type: "string" }, max: { type: "string" }, hearth: { type: "string" } },
    });
    const [command, ...files] = positionals;
    if (command === "ref" && (files.length === 2 || files.length === 3)) {
        const { version, rows } = await referenceIds(files[0], readCases(files[1]));
        process.stderr.write(`tokenizer-diff: ${version}\n`);
        if (files[2]) writeFileSync(files[2], formatOut(rows)); else process.stdout.write(formatOut(rows));
    } else if (command === "diff" && files.length >= 2 && files.length % 2 === 0) {
        const max = Number(o.max ?? 50);
        let any = false;
        for (let i = 0; i < files.length; i += 2) {
            const [vocab, inp] = [files[i], files[i + 1]];
            const cases = readCases(inp);
            let expected;
            if (o.expected) expected = parseOut(readFileSync(o.expected, "utf8"));
            else {
                const ref = await referenceIds(vocab, cases);
                if (i === 0) process.stderr.write(`tokenizer-diff: ${ref.version}\n`);
                expected = ref.rows;
            }
            const actual = hearthIds(vocab, inp, o.hearth);
            if (actual.length !== cases.length) throw new Error(`hearth gave ${actual.length} lines for ${cases.length} cases`);
            let bad = 0;
            cases.forEach((text, k) => {
                if (expected[k].join(" ") === actual[k].join(" ")) return;
                if (++bad <= max)
                    console.log(`case ${k} ${escape(text)}\n  llama.cpp [${expected[k].join(" ")}]\n  hearth    [${actual[k].join(" ")}]`);
            });
            console.log(`${basename(vocab)}: ${bad} of ${cases.length} cases disagree`);
            any ||= bad > 0;
        }
        process.exitCode = any ? 1 : 0;
    } else {
        console.error("usage: tokenizer-diff.mjs ref VOCAB.gguf CASES.inp [OUT.out]\n" +
            "       tokenizer-diff.mjs diff VOCAB.gguf CASES.inp [VOCAB2 CASES2 ...] [--expected OUT] [--max N] [--hearth CMD]");
        process.exitCode = 2;
    }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
