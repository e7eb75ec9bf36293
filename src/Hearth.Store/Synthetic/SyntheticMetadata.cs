using Hearth.Core.Gguf;

namespace Hearth.Store.Synthetic;

/// <summary>The metadata of a synthetic model beyond the common shape keys: each architecture's own keys (experts,
/// sliding window, softcapping, LongRoPE) and the vocabulary, padded with unused tokens to the real model's size.</summary>
internal static class SyntheticMetadata
{
    private const int UnusedTokenType = 5; // llama.cpp's LLAMA_TOKEN_TYPE_UNUSED

    /// <summary>The labels of a decoder reranker's head rows (Qwen3-Reranker: the "yes" and "no" tokens).</summary>
    public static readonly string[] DecoderRankLabels = ["yes", "no"];

    public static void WriteArchitectureKeys(GgufWriter w, SyntheticPreset p)
    {
        string a = p.Architecture;
        if (p.SlidingWindow > 0) w.SetUInt32($"{a}.attention.sliding_window", (uint)p.SlidingWindow);
        if (p.AttentionSoftcap > 0) w.SetFloat32($"{a}.attn_logit_softcapping", p.AttentionSoftcap);
        if (p.FinalSoftcap > 0) w.SetFloat32($"{a}.final_logit_softcapping", p.FinalSoftcap);
        if (p.RopeOriginalContext > 0) w.SetUInt32($"{a}.rope.scaling.original_context_length", (uint)p.RopeOriginalContext);
        if (p.RopeAttentionFactor > 0) w.SetFloat32($"{a}.rope.scaling.attn_factor", p.RopeAttentionFactor);
        if (p.YarnFactor > 0)
        {
            w.SetString($"{a}.rope.scaling.type", "yarn");
            w.SetFloat32($"{a}.rope.scaling.factor", p.YarnFactor);
            w.SetUInt32($"{a}.rope.scaling.original_context_length", (uint)p.YarnOriginalContext);
        }
        if (p.TokenizerPre is { } pre) w.SetString("tokenizer.ggml.pre", pre);
        if (p.RerankTemplate is { } rerank) w.SetString("tokenizer.chat_template.rerank", rerank);
        // A decoder reranker's head has one row per label (llama.cpp sizes cls.output from this array).
        if (!p.IsEncoder && p.Pooling == Hearth.Engine.Models.PoolingType.Rank) w.SetArray($"{a}.classifier.output_labels", DecoderRankLabels);
        if (p.ExpertCount > 0)
        {
            w.SetUInt32($"{a}.expert_count", (uint)p.ExpertCount);
            w.SetUInt32($"{a}.expert_used_count", (uint)p.ExpertUsedCount);
            if (p.ExpertFeedForwardLength > 0) w.SetUInt32($"{a}.expert_feed_forward_length", (uint)p.ExpertFeedForwardLength);
            if (p.SharedExpertFeedForwardLength > 0)
                w.SetUInt32($"{a}.expert_shared_feed_forward_length", (uint)p.SharedExpertFeedForwardLength);
        }
    }

    /// <summary>Copies every <c>tokenizer.*</c> key; with <paramref name="size"/> above the vocabulary's own count,
    /// the token, score and type arrays get <paramref name="extraControl"/> (type CONTROL) and then <c>&lt;unused_N&gt;</c>
    /// entries of type UNUSED (never produced by tokenization).</summary>
    public static void CopyVocabulary(GgufWriter w, GgufFile vocab, int count, int size, string[] extraControl)
    {
        const int ControlTokenType = 3; // llama.cpp's LLAMA_TOKEN_TYPE_CONTROL
        int extra = extraControl.Length;
        foreach (var (key, value) in vocab.Metadata)
        {
            if (!key.StartsWith("tokenizer.", StringComparison.Ordinal) || w.Metadata.Any(m => m.Key == key)) continue; // keys the preset set win
            if (size == count || !value.IsArray) { w.Set(key, value); continue; }
            switch (value.Value)
            {
                case string[] tokens when key == "tokenizer.ggml.tokens":
                    w.SetArray(key, [.. tokens, .. extraControl, .. Enumerable.Range(count + extra, size - count - extra).Select(i => $"<unused_{i}>")]);
                    break;
                case float[] scores when key == "tokenizer.ggml.scores":
                    w.SetArray(key, [.. scores, .. Enumerable.Repeat(0f, size - count)]);
                    break;
                case int[] types when key == "tokenizer.ggml.token_type":
                    w.SetArray(key, [.. types, .. Enumerable.Repeat(ControlTokenType, extra), .. Enumerable.Repeat(UnusedTokenType, size - count - extra)]);
                    break;
                default:
                    w.Set(key, value);
                    break;
            }
        }
    }
}
