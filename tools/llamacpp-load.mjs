// Loads llama.cpp as node-llama-cpp ships it (its prebuilt CPU build), from where
// ../shared/tools/llamacpp-ref/install.sh put it (LLAMACPP_REF_HOME, else $XDG_CACHE_HOME or ~/.cache /hearth-llamacpp-ref).
// Shared by the tools/llamacpp-*.mjs peers of Hearth's benchmarks. Exits with a message when it is not installed.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** extra: more getLlama options, e.g. { logLevel: nlc.LlamaLogLevel.fatal } given as { logLevel: "fatal" }. */
export async function loadLlama(extra = {}) {
    const home = process.env.LLAMACPP_REF_HOME ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "hearth-llamacpp-ref");
    const entry = join(home, "node_modules", "node-llama-cpp", "dist", "index.js");
    if (!existsSync(entry)) { console.error(`node-llama-cpp not found in ${home} (run ../shared/tools/llamacpp-ref/install.sh)`); process.exit(1); }
    const nlc = await import(pathToFileURL(entry).href);
    const llama = await nlc.getLlama({ gpu: false, build: "never", logLevel: nlc.LlamaLogLevel.error, ...extra });
    return { nlc, llama };
}
