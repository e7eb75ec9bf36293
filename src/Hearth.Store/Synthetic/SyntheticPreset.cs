using Hearth.Engine.Models;
namespace Hearth.Store.Synthetic;

/// <summary>The shape of a synthetic (random-weight) model: llama.cpp hyperparameters of a real architecture.
/// The init-only properties describe what only some architectures have (experts, sliding windows, softcapping,
/// LongRoPE factors); zero means absent.</summary>
public sealed record SyntheticPreset(
    string Name,
    string Architecture,
    int EmbeddingLength,
    int BlockCount,
    int HeadCount,
    int HeadCountKv,
    int HeadDim,
    int FeedForwardLength,
    float RopeFreqBase,
    float RmsEpsilon,
    int ContextLength,
    bool TiedEmbeddings,
    bool QkvBias,
    string DefaultVocab)
{
    /// <summary>Encoders and embedding models: the GGUF pooling type written (null: a generation model).</summary>
    public PoolingType? Pooling { get; init; }

    /// <summary>Whether this is a BERT-family encoder (post-norm layers, layer norm, bidirectional attention).</summary>
    public bool IsEncoder => Architecture is "bert" or "nomic-bert" or "jina-bert-v2";

    public int SlidingWindow { get; init; }
    public int ExpertCount { get; init; }
    public int ExpertUsedCount { get; init; }
    /// <summary>Rows of each routed expert's gate/up matrices (0: the dense feed-forward length).</summary>
    public int ExpertFeedForwardLength { get; init; }
    /// <summary>Rows of the shared expert (Qwen2-MoE); 0: no shared expert.</summary>
    public int SharedExpertFeedForwardLength { get; init; }
    public float AttentionSoftcap { get; init; }
    public float FinalSoftcap { get; init; }
    /// <summary>LongRoPE's original context (Phi-3): short and long per-pair rope factors are written.</summary>
    public int RopeOriginalContext { get; init; }
    /// <summary>LongRoPE's attention factor on cos/sin (<c>rope.scaling.attn_factor</c>; 0: not written).</summary>
    public float RopeAttentionFactor { get; init; }
    /// <summary>Standard deviation of the random matrices. The tiny presets of the newer architectures use 0.1 so that
    /// attention is far from uniform and experts matter: rope, windows and routing then move the logits visibly.</summary>
    public float WeightStd { get; init; } = 0.02f;
    /// <summary>Pads the vocabulary with unused tokens to this size (the real model's output matrix size).</summary>
    public int PadVocabTo { get; init; }
    /// <summary>YaRN rope scaling factor (0: none), written with <see cref="YarnOriginalContext"/> (gpt-oss: 32, 4096).</summary>
    public float YarnFactor { get; init; }
    public int YarnOriginalContext { get; init; }
    /// <summary>Control tokens appended to the vocabulary (gpt-oss: harmony's markers, which the GPT-2 vocabulary lacks).</summary>
    public string[] ExtraControlTokens { get; init; } = [];
    /// <summary>llama.cpp's rerank prompt template (<c>tokenizer.chat_template.rerank</c>), written when set.</summary>
    public string? RerankTemplate { get; init; }
    /// <summary>Overrides the vocabulary's <c>tokenizer.ggml.pre</c> (gpt-oss's "gpt-4o" split over another BPE vocabulary).</summary>
    public string? TokenizerPre { get; init; }

    /// <summary>Per-head Q/K RMS norms (Qwen3, Gemma 3).</summary>
    public bool QkNorm => Architecture is "qwen3" or "qwen3moe" or "gemma3";
    /// <summary>Post-attention and post-FFN norms (Gemma 2 and 3).</summary>
    public bool PostNorms => Architecture is "gemma2" or "gemma3";
    /// <summary>One fused QKV matrix and one fused gate-up matrix (Phi-3).</summary>
    public bool Fused => Architecture == "phi3";

    private const string Bpe = "ggml-vocab-llama-bpe.gguf", Gpt2 = "ggml-vocab-gpt-2.gguf", Spm = "ggml-vocab-llama-spm.gguf";

    /// <summary>Qwen3-Reranker's prompt: a yes/no judgement of the document against the query, the answer's first token
    /// being where the head reads.</summary>
    private const string Qwen3RerankTemplate = "<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and the Instruct provided. Note that the answer can only be \"yes\" or \"no\".<|im_end|>\n<|im_start|>user\n<Instruct>: Given a web search query, retrieve relevant passages that answer the query\n<Query>: {query}\n<Document>: {document}<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n";

    /// <summary>o200k_harmony's markers (in the real vocabulary at 200002..200012); declared before <see cref="All"/>,
    /// whose initializer reads it.</summary>
    private static readonly string[] HarmonyTokens = ["<|return|>", "<|constrain|>", "<|channel|>", "<|start|>", "<|end|>", "<|message|>", "<|call|>"];

    /// <summary>The presets by name. Context lengths of the llama presets are written as 8192 (the real models
    /// advertise 131072), so that tools which size their KV cache from the file stay small. The tiny-* presets are the
    /// shapes the llama.cpp reference fixtures were made on (tests/fixtures/reference).</summary>
    public static IReadOnlyDictionary<string, SyntheticPreset> All { get; } = new Dictionary<string, SyntheticPreset>(StringComparer.OrdinalIgnoreCase)
    {
        ["llama-3.2-1b"] = new("llama-3.2-1b", "llama", 2048, 16, 32, 8, 64, 8192, 500000f, 1e-5f, 8192, true, false, Bpe),
        ["llama-3.1-8b"] = new("llama-3.1-8b", "llama", 4096, 32, 32, 8, 128, 14336, 500000f, 1e-5f, 8192, false, false, Bpe),
        ["qwen2.5-0.5b"] = new("qwen2.5-0.5b", "qwen2", 896, 24, 14, 2, 64, 4864, 1000000f, 1e-6f, 32768, true, true, Gpt2),
        // Gemma 3 1B: 26 layers, 5 sliding (512) per global one, a 262,144-token vocabulary (padded from an SPM one).
        ["gemma-3-1b"] = new("gemma-3-1b", "gemma3", 1152, 26, 4, 1, 256, 6912, 1000000f, 1e-6f, 8192, true, false, Spm)
            { SlidingWindow = 512, PadVocabTo = 262144 },
        ["phi-4-mini"] = new("phi-4-mini", "phi3", 3072, 32, 24, 8, 128, 8192, 10000f, 1e-5f, 4096, true, false, "ggml-vocab-phi-3.gguf")
            { RopeOriginalContext = 4096, PadVocabTo = 200064 },
        // Qwen3-30B-A3B's layer (128 experts, 8 used, 768 rows each) and vocabulary; 48 layers, or 4 to fit small machines.
        ["qwen3-30b-a3b"] = new("qwen3-30b-a3b", "qwen3moe", 2048, 48, 32, 4, 128, 6144, 1000000f, 1e-6f, 8192, false, false, Gpt2)
            { ExpertCount = 128, ExpertUsedCount = 8, ExpertFeedForwardLength = 768, PadVocabTo = 151936 },
        ["qwen3-30b-a3b-4l"] = new("qwen3-30b-a3b-4l", "qwen3moe", 2048, 4, 32, 4, 128, 6144, 1000000f, 1e-6f, 8192, false, false, Gpt2)
            { ExpertCount = 128, ExpertUsedCount = 8, ExpertFeedForwardLength = 768, PadVocabTo = 151936 },
        // gpt-oss-20b: 24 layers alternating sliding (128) and full attention, 64 query heads of 64 over a 2880-wide
        // stream, 32 experts (4 used) of 2880 rows, YaRN ×32 from 4096, o200k's 201,088-token output (the GPT-2
        // vocabulary with GPT-4o's split, padded); 4 layers for small machines. Benchmarks only (12 GB in MXFP4).
        ["gpt-oss-20b"] = new("gpt-oss-20b", "gpt-oss", 2880, 24, 64, 8, 64, 2880, 150000f, 1e-5f, 8192, false, true, Gpt2)
            { ExpertCount = 32, ExpertUsedCount = 4, ExpertFeedForwardLength = 2880, SlidingWindow = 128, YarnFactor = 32, YarnOriginalContext = 4096, PadVocabTo = 201088, TokenizerPre = "gpt-4o", ExtraControlTokens = HarmonyTokens },
        ["gpt-oss-20b-4l"] = new("gpt-oss-20b-4l", "gpt-oss", 2880, 4, 64, 8, 64, 2880, 150000f, 1e-5f, 8192, false, true, Gpt2)
            { ExpertCount = 32, ExpertUsedCount = 4, ExpertFeedForwardLength = 2880, SlidingWindow = 128, YarnFactor = 32, YarnOriginalContext = 4096, PadVocabTo = 201088, TokenizerPre = "gpt-4o", ExtraControlTokens = HarmonyTokens },
        // Small shapes for tests: 64-wide rows also exercise the Q4_K → Q8_0 fallback.
        ["tiny-test"] = new("tiny-test", "llama", 64, 2, 4, 2, 16, 128, 10000f, 1e-5f, 2048, false, false, Bpe),
        // Every row a multiple of 256, so each weight format (K-quants, IQ4_XS included) covers every matrix.
        ["tiny-formats"] = new("tiny-formats", "llama", 256, 2, 4, 2, 64, 512, 10000f, 1e-5f, 2048, false, false, "ggml-vocab-llama-spm.gguf"),
        ["tiny-test-qwen2"] = new("tiny-test-qwen2", "qwen2", 256, 2, 4, 2, 64, 512, 1000000f, 1e-6f, 2048, true, true, Gpt2),
        // Dense llama and qwen3 shapes with larger weights (clear logit margins), for the LoRA references (tests/fixtures/lora).
        ["tiny-llama"] = new("tiny-llama", "llama", 64, 2, 4, 2, 16, 128, 10000f, 1e-5f, 2048, false, false, Spm) { WeightStd = 0.1f },
        ["tiny-qwen3"] = new("tiny-qwen3", "qwen3", 64, 2, 4, 2, 16, 128, 1000000f, 1e-6f, 2048, true, false, Gpt2) { WeightStd = 0.1f },
        // Qwen3's long-context recipe: YaRN over an original context a quarter of the model's.
        ["tiny-qwen3-yarn"] = new("tiny-qwen3-yarn", "qwen3", 64, 2, 4, 2, 16, 128, 1000000f, 1e-6f, 8192, true, false, Gpt2)
            { WeightStd = 0.1f, YarnFactor = 4, YarnOriginalContext = 2048 },
        ["tiny-gemma3"] = new("tiny-gemma3", "gemma3", 64, 6, 4, 2, 16, 128, 1000000f, 1e-6f, 2048, true, false, Spm)
            { WeightStd = 0.1f, SlidingWindow = 8 },
        ["tiny-gemma2"] = new("tiny-gemma2", "gemma2", 64, 4, 4, 2, 16, 128, 10000f, 1e-6f, 2048, true, false, Spm)
            { WeightStd = 0.1f, SlidingWindow = 8, AttentionSoftcap = 1.0f, FinalSoftcap = 5.0f },
        ["tiny-phi3"] = new("tiny-phi3", "phi3", 64, 2, 4, 2, 16, 128, 10000f, 1e-5f, 4096, false, false, "ggml-vocab-phi-3.gguf")
            { WeightStd = 0.1f, RopeOriginalContext = 4096 },
        // Phi-3.5/4-mini's case: a context beyond the original, so the long rope factors and the attention factor apply.
        ["tiny-phi3-long"] = new("tiny-phi3-long", "phi3", 64, 2, 4, 2, 16, 128, 10000f, 1e-5f, 4096, false, false, "ggml-vocab-phi-3.gguf")
            { WeightStd = 0.1f, RopeOriginalContext = 1024, RopeAttentionFactor = 1.1902f },
        ["tiny-qwen3moe"] = new("tiny-qwen3moe", "qwen3moe", 64, 2, 4, 2, 16, 64, 1000000f, 1e-6f, 2048, false, false, Gpt2)
            { WeightStd = 0.1f, ExpertCount = 8, ExpertUsedCount = 2, ExpertFeedForwardLength = 32 },
        ["tiny-qwen2moe"] = new("tiny-qwen2moe", "qwen2moe", 64, 2, 4, 2, 16, 64, 1000000f, 1e-6f, 2048, false, true, Gpt2)
            { WeightStd = 0.1f, ExpertCount = 8, ExpertUsedCount = 2, ExpertFeedForwardLength = 32, SharedExpertFeedForwardLength = 64 },
        ["tiny-mixtral"] = new("tiny-mixtral", "llama", 64, 2, 4, 2, 16, 64, 10000f, 1e-5f, 2048, false, false, Spm)
            { WeightStd = 0.1f, ExpertCount = 4, ExpertUsedCount = 2 },
        // gpt-oss in small: 4 layers (0 and 2 slide over 8 positions), sinks, biases, 8 experts (2 used), YaRN ×32 from
        // 4096 (so low-frequency pairs are interpolated even at short positions), GPT-4o's split on the GPT-2 vocabulary.
        ["tiny-gpt-oss"] = new("tiny-gpt-oss", "gpt-oss", 64, 4, 4, 2, 16, 32, 150000f, 1e-5f, 4096, false, true, Gpt2)
            { WeightStd = 0.1f, ExpertCount = 8, ExpertUsedCount = 2, ExpertFeedForwardLength = 32, SlidingWindow = 8, YarnFactor = 32, YarnOriginalContext = 4096, TokenizerPre = "gpt-4o", ExtraControlTokens = HarmonyTokens },
        // Decoder embedding models (last-token pooling): Qwen3-Embedding-0.6B's shape, and a tiny one for tests.
        ["qwen3-embedding-0.6b"] = new("qwen3-embedding-0.6b", "qwen3", 1024, 28, 16, 8, 128, 3072, 1000000f, 1e-6f, 32768, true, false, Gpt2)
            { Pooling = PoolingType.Last, PadVocabTo = 151669 },
        ["tiny-qwen3-embed"] = new("tiny-qwen3-embed", "qwen3", 64, 2, 4, 2, 16, 128, 1000000f, 1e-6f, 2048, true, false, Gpt2)
            { WeightStd = 0.1f, Pooling = PoolingType.Last },
        // Qwen3-Reranker as llama.cpp's converter writes it: rank pooling, a two-row cls.output head ("yes", "no"),
        // and the rerank prompt template, whose <|im_start|>/<|im_end|> markers are added as control tokens.
        ["tiny-qwen3-reranker"] = new("tiny-qwen3-reranker", "qwen3", 64, 2, 4, 2, 16, 128, 1000000f, 1e-6f, 2048, true, false, Gpt2)
            { WeightStd = 0.1f, Pooling = PoolingType.Rank, ExtraControlTokens = ["<|im_start|>", "<|im_end|>"], RerankTemplate = Qwen3RerankTemplate },
        // Encoders (embeddings, reranking) on the BGE WordPiece vocabulary. RmsEpsilon holds the layer-norm epsilon.
        ["tiny-bert"] = new("tiny-bert", "bert", 64, 2, 4, 4, 16, 128, 10000f, 1e-12f, 512, true, true, Bge) { Pooling = PoolingType.Cls },
        ["tiny-bert-rerank"] = new("tiny-bert-rerank", "bert", 64, 2, 4, 4, 16, 128, 10000f, 1e-12f, 512, true, true, Bge) { Pooling = PoolingType.Rank },
        ["tiny-nomic-bert"] = new("tiny-nomic-bert", "nomic-bert", 64, 2, 4, 4, 16, 128, 1000f, 1e-12f, 2048, true, false, Bge) { Pooling = PoolingType.Mean },
        ["tiny-jina-bert-v2"] = new("tiny-jina-bert-v2", "jina-bert-v2", 64, 2, 4, 4, 16, 128, 10000f, 1e-12f, 512, true, true, Bge)
            { Pooling = PoolingType.Mean, WeightStd = 0.1f },
        ["bge-small"] = new("bge-small", "bert", 384, 12, 12, 12, 32, 1536, 10000f, 1e-12f, 512, true, true, Bge) { Pooling = PoolingType.Cls },
        ["nomic-embed-text-v1.5"] = new("nomic-embed-text-v1.5", "nomic-bert", 768, 12, 12, 12, 64, 3072, 1000f, 1e-12f, 2048, true, false, Bge) { Pooling = PoolingType.Mean },
    };

    private const string Bge = "ggml-vocab-bert-bge.gguf";

    /// <summary>A preset by name, or an <see cref="ArgumentException"/> listing the known names.</summary>
    public static SyntheticPreset Get(string name) =>
        All.TryGetValue(name, out var p) ? p
        : throw new ArgumentException($"unknown preset '{name}' (known: {string.Join(", ", All.Keys)})");
}
