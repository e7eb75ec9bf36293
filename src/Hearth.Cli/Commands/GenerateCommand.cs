using System.CommandLine;
using System.Diagnostics;
using Hearth.Core.Gguf;
using Hearth.Core.Tensors;
using Hearth.Core.Tokenizers;
using Hearth.Cli.Support;
using Hearth.Engine.Models;

namespace Hearth.Cli.Commands;

/// <summary>`hearth generate`: one completion from a GGUF file straight on a backend (CPU by default; --device cuda), no server, no store:
/// streams the text to stdout, then prompt and generation speed to stderr.</summary>
internal static class GenerateCommand
{
    private const int BlockSize = 16;
    private const int PrefillChunk = 512;

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Path of a GGUF model file", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "Prompt text (BOS is added when the vocabulary asks for it)", Required = true };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Tokens to generate at most", DefaultValueFactory = _ => 128 };
        var temperature = new Option<float>("--temperature") { Description = "0 = greedy; otherwise sample from softmax(logits / T)", DefaultValueFactory = _ => 0f };
        var seed = new Option<int>("--seed") { Description = "Sampling seed", DefaultValueFactory = _ => 0 };
        var threads = new Option<int>("--threads") { Description = "CPU threads (default: all cores)", DefaultValueFactory = _ => 0 };
        var ignoreEos = new Option<bool>("--ignore-eos") { Description = "Keep generating past end-of-generation tokens (benchmarking)" };
        var device = new Option<string>("--device") { Description = "cpu, cuda or auto", DefaultValueFactory = _ => "cpu" };
        device.AcceptOnlyFromAmong(DeviceSelection.Choices);
        var kvType = new Option<string>("--kv-cache-type") { Description = "KV cache element type: f32, f16 or q8_0 (CPU)", DefaultValueFactory = _ => "f32" };
        kvType.AcceptOnlyFromAmong("f32", "f16", "q8_0");
        var command = new Command("generate", "Generate a completion for a prompt with a local GGUF file (CPU)");
        foreach (var o in new Option[] { model, prompt, maxTokens, temperature, seed, threads, ignoreEos, device, kvType }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            try
            {
                int n = parse.GetValue(maxTokens);
                float temp = parse.GetValue(temperature);
                if (n < 0) throw new FormatException("--max-tokens must be 0 or more");
                if (!(temp >= 0) || !float.IsFinite(temp)) throw new FormatException("--temperature must be a finite number ≥ 0");
                if (parse.GetValue(threads) < 0) throw new FormatException("--threads must be 0 (all cores) or more");
                Run(parse.GetValue(model)!, parse.GetValue(prompt)!, n, temp, parse.GetValue(seed), parse.GetValue(threads), parse.GetValue(ignoreEos), parse.GetValue(device)!,
                    KvCacheTypes.TryParse(parse.GetValue(kvType), out var kvt) ? kvt : KvCacheType.F32);
                return 0;
            }
            catch (Exception e) when (e is GgufException or CliException or NotSupportedException or FormatException or IOException
                                          or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static void Run(string path, string prompt, int maxTokens, float temperature, int seed, int threads, bool ignoreEos, string device, KvCacheType kvType)
    {
        using var file = GgufFile.Open(path);
        var tokenizer = TokenizerFactory.FromGguf(file);
        using var backend = DeviceSelection.CreateBackend(DeviceSelection.Resolve(device, out _), threads);
        using var model = DecoderModel.Load(file, backend);
        int[] ids = tokenizer.Encode(prompt, addSpecial: true, parseSpecial: false);
        if (ids.Length == 0) throw new FormatException("the prompt is empty (it encodes to no tokens)");
        int total = ids.Length + maxTokens;
        if (total > model.Shape.ContextLength)
            throw new FormatException($"prompt ({ids.Length} tokens) + --max-tokens ({maxTokens}) exceeds the model's context of {model.Shape.ContextLength}");
        int blocks = (total + BlockSize - 1) / BlockSize;
        model.AllocateKvCache(blocks, BlockSize, kvType);
        int[] table = Enumerable.Range(0, blocks).ToArray();
        var logits = new float[model.Shape.VocabSize];
        var sampler = new Random(seed);
        var detok = new StreamingDetokenizer(tokenizer);
        var stdout = Console.Out;

        var sw = Stopwatch.StartNew();
        for (int start = 0; start < ids.Length; start += PrefillChunk)
        {
            int count = Math.Min(PrefillChunk, ids.Length - start);
            Forward(model, ids.AsSpan(start, count), start, table, count == ids.Length - start, logits);
        }
        double promptSeconds = sw.Elapsed.TotalSeconds;

        sw.Restart();
        int generated = 0;
        int position = ids.Length;
        int[] one = new int[1];
        while (generated < maxTokens)
        {
            int next = temperature == 0 ? ArgMax(logits) : Sample(logits, temperature, sampler);
            generated++;
            if (!ignoreEos && tokenizer.IsEndOfGeneration(next)) break;
            stdout.Write(detok.Add(next));
            stdout.Flush();
            if (generated == maxTokens) break;
            one[0] = next;
            Forward(model, one, position++, table, true, logits);
        }
        stdout.Write(detok.Flush());
        stdout.WriteLine();
        double genSeconds = sw.Elapsed.TotalSeconds;
        Console.Error.WriteLine($"prompt: {ids.Length} tokens in {promptSeconds:F3} s = {ids.Length / promptSeconds:F2} tokens/s");
        Console.Error.WriteLine($"generation: {generated} tokens in {genSeconds:F3} s = {(generated > 1 ? (generated - 1) / genSeconds : 0):F2} tokens/s ({backend.Name}, {KvCacheTypes.Name(kvType)} KV cache)");
    }

    private static void Forward(DecoderModel model, ReadOnlySpan<int> tokens, int start, int[] table, bool logits, float[] output)
    {
        var positions = new int[tokens.Length];
        for (int i = 0; i < positions.Length; i++) positions[i] = start + i;
        var slice = new SequenceSlice(0, tokens.Length, start + tokens.Length, table, logits);
        // One sequence in one contiguous run of blocks, so slot = position.
        model.Forward(new ForwardBatch(tokens.ToArray(), positions, positions, [slice]), output);
    }

    private static int ArgMax(float[] x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    private static int Sample(float[] logits, float temperature, Random random)
    {
        float max = logits.Max();
        double sum = 0;
        var p = new double[logits.Length];
        for (int i = 0; i < p.Length; i++) sum += p[i] = Math.Exp((logits[i] - max) / temperature);
        double u = random.NextDouble() * sum;
        for (int i = 0; i < p.Length; i++)
            if ((u -= p[i]) <= 0) return i;
        return p.Length - 1;
    }
}
