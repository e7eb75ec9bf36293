#!/usr/bin/env python3
"""Regenerates tests/fixtures/embeddings/wordpiece-bge-stress.json: llama.cpp's WordPiece ids (BGE vocabulary,
add_special=true) for text that walks Unicode 32 code points at a time (each code point as 'a<c>b <c>': inside a word
and alone), NFC/NFD/NFKC/NFKD forms of accented words, and one case per code point that llama.cpp's Unicode 15.1
tables and .NET's Unicode 16 tables classify differently (see src/Hearth.Core/Tokenizers/UnicodeVersionGap.cs).
Run by hand: python3 tools/embeddings/make-wordpiece-fixture.py (needs the hearth CLI, node and llamacpp-ref)."""
import json, os, subprocess, sys, tempfile, unicodedata

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(os.path.dirname(here))
ref = os.environ.get("LLAMACPP_REF", os.path.join(repo, "..", "shared", "tools", "llamacpp-ref", "ref.mjs"))

RANGES = [(0x00, 0x7F), (0x80, 0x33FF), (0xA000, 0xA4CF), (0xA640, 0xABFF), (0xAC00, 0xAC40), (0xD7B0, 0xD7FF),
          (0xF900, 0xFFFD), (0x10000, 0x1014F), (0x1D400, 0x1D7FF), (0x1F000, 0x1FAFF), (0x20000, 0x20040),
          (0x2F800, 0x2FA1F), (0xE0000, 0xE007F)]
GAP = [0x0897, 0x1B4E, 0x1B4F, 0x1B7F, *range(0x10D69, 0x10D6F), 0x10EFC, *range(0x113B8, 0x113E3), 0x11BE1, 0x11F5A,
       *range(0x1611E, 0x16130), *range(0x16D6D, 0x16D70), 0x1E5EE, 0x1E5EF, 0x1E5FF]
WORDS = ["Café", "naïve", "Ångström", "Việt", "Hà Nội", "Ελληνικά", "ﬁne", "Ǆemal", "ḍ", "x̌", "ñ", "Ç", "ő", "İ", "ǅ"]

def unit(c): return "a%sb %s" % (chr(c), chr(c))

cps = [c for a, b in RANGES for c in range(a, b + 1) if not 0xD800 <= c <= 0xDFFF]
texts = [" ".join(unit(c) for c in cps[i:i + 32]) for i in range(0, len(cps), 32)]
for w in WORDS:
    for form in ("NFC", "NFD", "NFKC", "NFKD"):
        texts.append(" ".join(unicodedata.normalize(form, x) for x in (w, w.upper(), w.lower())))
texts += [unit(c) for c in GAP]

with tempfile.TemporaryDirectory() as work:
    model = os.path.join(work, "tiny-bert.gguf")
    subprocess.run([os.path.join(repo, "hearth"), "synth", "--preset", "tiny-bert", "--quant", "F32", "--output", model], check=True)
    with open(os.path.join(work, "texts.json"), "w", encoding="utf-8") as f:
        json.dump(texts, f, ensure_ascii=False)
    out = os.path.join(work, "out.json")
    subprocess.run(["node", ref, "embed", "--model", model, "--texts", os.path.join(work, "texts.json"), "--out", out], check=True)
    with open(out, encoding="utf-8") as f:
        d = json.load(f)

fixture = {
    "about": "llama.cpp's WordPiece token ids (add_special=true) for Unicode walks, accent forms and Unicode-version "
             "gap code points; made by tools/embeddings/make-wordpiece-fixture.py (ref.mjs embed on the tiny-bert preset)",
    "reference": d["reference"], "vocab": "ggml-vocab-bert-bge.gguf",
    "cases": [{"text": c["text"], "ids": c["ids"]} for c in d["cases"]],
}
with open(os.path.join(repo, "tests", "fixtures", "embeddings", "wordpiece-bge-stress.json"), "w", encoding="utf-8") as f:
    json.dump(fixture, f, ensure_ascii=False, indent=0)
print(f"wrote {len(fixture['cases'])} cases", file=sys.stderr)
