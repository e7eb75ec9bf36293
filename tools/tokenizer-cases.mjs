#!/usr/bin/env node
// Adversarial tokenizer cases for tools/tokenizer-diff.mjs, deterministic for a seed:
//   node tools/tokenizer-cases.mjs OUT.inp [--seed 1] [--count 3000] [--base ../shared/vocab/ggml-vocab-gpt-2.gguf.inp]
//        [--vocab V.gguf]   (adds cases built from V's special and user-defined token texts, and --soup N cases of random
//                            tokens of V glued together, default 1500) [--sweep 0] (leaves out the code point sweep)
//        [--mix N] (random mixes of up to N atoms, default 8)
// Cases: every Unicode class the pre-tokenizer regexes and WordPiece tell apart (letters of many scripts, marks and
// combining sequences, other digits, CJK, Hangul, Thai, emoji sequences, punctuation, symbols, every kind of space,
// \r\n, tabs, leading/trailing whitespace runs), contractions in all cases, numbers of 1..10 digits, long runs, texts
// like special tokens, NFC vs NFD, very long words; the --base cases mutated and concatenated; random mixes of all.
import { parseArgs } from "node:util";
import { readCases, writeCases } from "./tokenizer-diff.mjs";

const { values: o, positionals } = parseArgs({
    allowPositionals: true,
    options: { seed: { type: "string" }, count: { type: "string" }, base: { type: "string" }, vocab: { type: "string" },
        soup: { type: "string" }, sweep: { type: "string" }, mix: { type: "string" } },
});
if (positionals.length !== 1) {
    console.error("usage: tokenizer-cases.mjs OUT.inp [--seed N] [--count N] [--base FILE.inp] [--vocab V.gguf]");
    process.exit(2);
}

// mulberry32: small, deterministic, good enough for test generation.
let state = Number(o.seed ?? 1) >>> 0;
const rand = () => {
    state = (state + 0x6D2B79F5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const int = (n) => Math.floor(rand() * n);
const pick = (xs) => xs[int(xs.length)];
const cp = (...xs) => String.fromCodePoint(...xs);
const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => cp(a + i));

const atoms = {
    ascii: ["Hello", "world", "the", "THE", "The", "a", "I", "x", "foo_bar", "fooBar", "HTTPServer", "don", "can"],
    latin: ["café", "naïve", "Über", "straße", "ÆØÅ", "œuvre", "Ĳssel", "ǅemal", "ﬁne", "Ångström", "ŉ", "İstanbul", "ı"],
    greek: ["αβγ", "Ωμέγα", "ΣΊΣΥΦΟΣ", "ς", "ΐ"], cyrillic: ["Привет", "мир", "ЁЖИК", "ґ"],
    arabic: ["مرحبا", "العربية", "ـ", "٠١٢٣٤٥٦٧٨٩", "۱۲۳"], hebrew: ["שלום", "עִבְרִית"],
    devanagari: ["नमस्ते", "हिन्दी", "क्षत्रिय", "०१२३", "।"], bengali: ["বাংলা", "১২৩"], tamil: ["தமிழ்"],
    thai: ["สวัสดี", "ภาษาไทย", "๑๒๓", "ฯ"], lao: ["ສະບາຍດີ"], khmer: ["ភាសាខ្មែរ"], tibetan: ["བོད་ཡིག"],
    georgian: ["ქართული", "ᲥᲐᲠᲗᲣᲚᲘ"], armenian: ["Հայերեն"], ethiopic: ["አማርኛ", "፩፪"],
    cjk: ["中文", "日本語", "漢字テスト", "ひらがな", "カタカナ", "ｶﾀｶﾅ", "你好世界", "〇", "㐀", "𠀀𠀁", "龥", "鿿", "豈"],
    hangul: ["한국어", "안녕하세요", "ᄀᄁ", "ㄱㄴ", "가각", "\u1100\u1161\u11A8"],
    digits: ["0", "7", "12", "123", "1234", "12345", "３４５", "²³", "½", "Ⅻ", "①②", "𝟘𝟙", "٣", "߀", "᠐"],
    marks: ["e\u0301", "a\u0308", "\u0301", "\u20DD", "n\u0303\u0304", "o\u0328\u0301", "\u0300\u0301\u0302", "क\u093F", "\u0E31", "\uFE0F"],
    punct: [".", ",", "!", "?", "...", "…", "—", "–", "-", "«", "»", "“", "”", "‘", "’", "„", "¿", "¡", "。", "、", "，", "！", "（）", "【】", "「」", "·", "•", "‽", "※", "@", "#", "%", "&", "*", "\\", "/", "(", ")", "[", "]", "{", "}", "_", ":", ";", "\"", "'", "`"],
    symbols: ["$", "+", "<", "=", ">", "^", "|", "~", "€", "£", "¥", "₹", "°", "±", "×", "÷", "∑", "√", "∞", "≠", "≤", "←", "→", "⇒", "©", "®", "™", "§", "¶", "♠", "♥", "★", "☃", "♪", "⌘", "␣", "¬", "¦", "¨", "¯", "´", "¸", "˜", "˚"],
    emoji: ["😀", "🦙", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "❤️", "❤\uFE0E", "🇺🇸", "🇩🇪🇫🇷", "1️⃣", "#️⃣", "🧑🏿‍💻", "👩‍❤️‍💋‍👨", "🫠", "🪿", "✌🏻", "☺", "🏴󠁧󠁢󠁳󠁣󠁴󠁿"],
    spaces: [" ", "  ", "   ", "\t", "\n", "\r\n", "\r", "\n\n", "\n\n\n", " \n", "\t\t", "\u00A0", "\u3000", "\u2009", "\u2002", "\u200A", "\u202F", "\u205F", "\u1680", "\u2028", "\u2029", "\u0085", "\u000B", "\u000C", " \t \n"],
    format: ["\u200B", "\u200C", "\u200D", "\u2060", "\uFEFF", "\u00AD", "\u200E", "\u202E", "\u0000", "\u0001", "\u001B", "\u007F", "\u0080", "\u009F", "\uE000", "\uF8FF", "\u{F0000}", "\uFFFD", "\uFFFF", "\u{10FFFF}", "\u0378", "\u0897", "\u{1B4E}"],
    contractions: ["'s", "'S", "'t", "'T", "'re", "'RE", "'Re", "'rE", "'ve", "'VE", "'m", "'M", "'ll", "'LL", "'Ll", "'d", "'D", "’s", "’ll", "''", "'", "'x"],
    specialish: ["<s>", "</s>", "<unk>", "<pad>", "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|begin_of_text|>", "<|eot_id|>", "[CLS]", "[SEP]", "[MASK]", "[UNK]", "[PAD]", "<mask>", "<|end|>", "<|user|>", "<|assistant|>", "<|system|>", "<|fim_prefix|>", "<fim_middle>", "<|EOT|>", "<｜begin▁of▁sentence｜>", "<0x0A>", "<0xFF>", "▁", "▁▁", "Ġ", "Ċ", "##ing", "<|", "|>", "<", ">", "</", "<s", "s>"],
    code: ["def f(x):", "    return x", "if (a && b) { c(); }", "x += 1;", "#include <stdio.h>", "a->b", "i++", "!=", "===", "::", "=>", "/* */", "// c", "0x1F", "1e-5", "3.14", "1,000,000", "v1.2.3", "foo.bar()", "$var", "@decorator", "https://example.com/a?b=c&d=e", "user@example.com", "C:\\path\\file.txt"],
};
const allAtoms = Object.values(atoms).flat();

/** The text each token stands for: byte-level BPE maps GPT-2's byte characters back to bytes, SentencePiece and
 * WordPiece turn "▁" into a space; byte tokens (<0xNN>) and tokens that are not valid UTF-8 are left out. */
function tokenTexts(model, tokens) {
    const charToByte = new Map();
    let n = 0;
    for (let b = 0; b < 256; b++) {
        const printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        charToByte.set(printable ? b : 256 + n++, b);
    }
    const out = [];
    for (const tok of tokens) {
        if (/^<0x[0-9A-F]{2}>$/.test(tok)) continue;
        if (model !== "gpt2") { out.push(tok.replaceAll("\u2581", " ")); continue; }
        const bytes = [...tok].map((c) => charToByte.get(c.codePointAt(0)));
        if (bytes.some((b) => b === undefined)) continue;
        try { out.push(new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bytes))); } catch { /* partial UTF-8 */ }
    }
    return out;
}

const cases = new Set();
const add = (s) => cases.add(s);

// 1. Every atom alone, with a space before/after, and between words.
for (const a of allAtoms) {
    add(a); add(" " + a); add(a + " "); add("word" + a + "word"); add("word " + a + " word"); add(a + a);
}
// 2. Every pair of classes, in both orders, with and without a space.
const classes = Object.keys(atoms);
for (const x of classes) for (const y of classes) {
    const a = pick(atoms[x]), b = pick(atoms[y]);
    add(a + b); add(a + " " + b); add(b + "  " + a);
}
// 3. Whitespace runs before, inside and after text.
for (const sp of atoms.spaces) for (const w of ["Hello", "中文", "123", "!", "😀", "é"]) {
    add(sp + w); add(w + sp); add(sp + w + sp); add(sp.repeat(3) + w + sp.repeat(3)); add(w + sp + sp + w);
}
// 4. Contractions in all cases, after letters, digits, spaces, other contractions.
for (const c of atoms.contractions) for (const w of ["it", "IT", "We", "x", "9", " ", "", "é", "中"]) { add(w + c); add(w + c + " ok"); add(w + c + c); }
// 5. Numbers of length 1..10, alone, with letters, separators and other scripts' digits.
for (let n = 1; n <= 10; n++) {
    const num = Array.from({ length: n }, () => int(10)).join("");
    add(num); add(" " + num); add("a" + num); add(num + "a"); add(num + "." + num); add("-" + num); add(num + " " + num);
    add("٣".repeat(n)); add("３".repeat(n)); add("1" + "٣".repeat(n));
}
// 6. Long runs of one character and very long words (> 100 characters).
for (const ch of ["a", "A", " ", "\n", "\t", "!", "-", "=", "0", "é", "中", "😀", "\u00A0", "'", ".", "_", "ஜ", "\u0301"])
    for (const n of [2, 3, 7, 16, 33, 100, 257]) add(ch.repeat(n));
for (const w of ["antidisestablishmentarianism", "Pneumonoultramicroscopicsilicovolcanoconiosis", "xY", "ab1", "中文字", "é"]) {
    add(w.repeat(8)); add(" " + w.repeat(20)); add(w.repeat(40) + ".");
}
// 7. NFC vs NFD forms and accents (WordPiece strips them; the others keep them).
for (const w of ["café", "naïve", "Ångström", "résumé", "Ελληνικά", "Ỗ", "ḱ", "가", "ﬁ", "Ǆ"]) {
    add(w); add(w.normalize("NFD")); add(w.normalize("NFKC")); add(w.normalize("NFKD")); add(w.toUpperCase()); add(w.normalize("NFD").toUpperCase());
}
// 8. Text resembling special tokens, glued to words and spaces.
for (const s of atoms.specialish) { add("a" + s + "b"); add(" " + s + " "); add(s + s); add("\n" + s + "\n"); add(s.toUpperCase()); }
// 9. The base cases (the visible vectors) mutated and concatenated.
const base = o.base ? readCases(o.base) : [];
for (const b of base) {
    add(b + b); add(" " + b); add(b + " "); add(b.toUpperCase()); add(b.toLowerCase()); add(b.replaceAll(" ", "  "));
    add(b.replaceAll(" ", "\u00A0")); add(b.replaceAll("\n", "\r\n")); add(b.normalize("NFD"));
    for (let k = 0; k < 4; k++) {
        const chars = [...b];
        const at = int(chars.length + 1);
        chars.splice(at, int(3), ...[...pick(allAtoms)]);
        add(chars.join(""));
    }
    add(b + pick(base)); add(pick(base) + "\n" + b);
}
// 10. The vocabulary's own special and user-defined tokens as text.
if (o.vocab) {
    const { loadLlama } = await import("./llamacpp-load.mjs");
    const { nlc } = await loadLlama({ logLevel: "fatal" });
    const info = await nlc.readGgufFileInfo(o.vocab, { sourceType: "filesystem" });
    const t = info.metadata.tokenizer.ggml;
    const specials = t.tokens.filter((_, i) => t.token_type && t.token_type[i] !== 1).slice(0, 400);
    for (const s of specials) { add(s); add("x" + s + "y"); add(" " + s); add(s + " " + s); }
    // Token soup: random tokens as the text they stand for, glued together, so that merges run across their borders.
    const text = tokenTexts(t.model, t.tokens);
    for (let k = 0; k < Number(o.soup ?? 1500); k++) {
        let s = "";
        for (let n = 1 + int(8); n > 0; n--) s += pick(text);
        add(s);
        if (k % 4 === 0) add(s.toUpperCase());
    }
}
// 11. A sweep over code points (U+0080..U+323AF and the tag/variation-selector plane), 24 per case, each alone, doubled,
// between letters and before a digit, so that every code point's class (and llama.cpp's Unicode version) shows.
if (o.sweep !== "0") {
    const sweep = [];
    for (let c = 0x80; c <= 0x323AF; c++) if (c < 0xD800 || c > 0xDFFF) sweep.push(c);
    for (let c = 0xE0000; c <= 0xE01EF; c++) sweep.push(c);
    for (let i = 0; i < sweep.length; i += 24)
        add(sweep.slice(i, i + 24).map((c) => { const ch = cp(c); return `x${ch}x ${ch}${ch}1 ${ch}`; }).join(" "));
}
// 12. Random mixes of everything until --count.
const count = Number(o.count ?? 3000);
while (cases.size < count) {
    const n = 1 + int(Number(o.mix ?? 8));
    let s = "";
    for (let k = 0; k < n; k++) s += pick(allAtoms) + (rand() < 0.4 ? pick(atoms.spaces) : "");
    add(s);
}
// Lone surrogates cannot be written as UTF-8 (node would write U+FFFD): leave them to the C# tests.
writeCases(positionals[0], [...cases].filter((c) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(c)));
console.error(`tokenizer-cases: ${cases.size} cases to ${positionals[0]}`);
