using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Hearth.Core.Tokenizers;

namespace Hearth.Benchmarks;

/// <summary>Tokenizer encode throughput on ~1 MB of generated English prose and of generated code, for the
/// Llama 3 byte-level BPE vocabulary (../shared/vocab/ggml-vocab-llama-bpe.gguf) and the Llama 2 SentencePiece
/// vocabulary (tests/fixtures/vocab/ggml-vocab-llama-spm.gguf). The MB/s column is UTF-8 input bytes per second.
/// Run: dotnet run -c Release --project bench/Hearth.Benchmarks -- --filter '*TokenizerBenchmarks*' --job short</summary>
[Config(typeof(Config))]
[MemoryDiagnoser]
public class TokenizerBenchmarks
{
    private ITokenizer _tokenizer = null!;
    private string _text = "";

    [Params("llama-bpe", "llama-spm")]
    public string Vocab { get; set; } = "";

    [Params("english", "code")]
    public string Corpus { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _tokenizer = TokenizerFactory.FromGguf(BenchPaths.Vocab(Vocab));
        _text = BenchCorpus.Build(Corpus);
    }

    [Benchmark]
    public int Encode() => _tokenizer.Encode(_text, addSpecial: false, parseSpecial: false).Length;

    private sealed class Config : ManualConfig
    {
        public Config() => AddColumn(new ThroughputColumn());
    }

    /// <summary>Input MB (10^6 bytes of UTF-8) per second, from the mean time.</summary>
    private sealed class ThroughputColumn : IColumn
    {
        public string Id => "MBps";
        public string ColumnName => "MB/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "UTF-8 input megabytes (10^6 bytes) encoded per second";
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public bool IsAvailable(Summary summary) => true;
        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var stats = summary[benchmarkCase]?.ResultStatistics;
            if (stats is null)
                return "-";
            string corpus = (string)benchmarkCase.Parameters["Corpus"];
            double bytes = Encoding.UTF8.GetByteCount(BenchCorpus.Build(corpus));
            return (bytes / 1e6 / (stats.Mean / 1e9)).ToString("F2", System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}

/// <summary>Deterministic ~1 MB benchmark texts (seeded; the same on every run).</summary>
internal static class BenchCorpus
{
    private const int TargetChars = 1_000_000;
    private static readonly Dictionary<string, string> Built = [];

    private static readonly string[] Subjects =
        ["The engineer", "A small model", "Every scheduler", "Our server", "The old library", "Each request", "The tokenizer", "A careful reader"];
    private static readonly string[] Verbs =
        ["reads", "writes", "measures", "rejects", "caches", "streams", "splits", "merges", "counts", "explains"];
    private static readonly string[] Objects =
        ["the long document", "seventeen small files", "a stream of tokens", "every prefix it has seen", "the weights",
         "three thousand requests", "the user's question", "an unusual character like é or ü", "the quarterly report"];
    private static readonly string[] Tails =
        ["before lunch.", "without complaint.", "in about 42 milliseconds.", "while the cache is warm.", "and then it stops.",
         "(surprisingly) well.", "as the design says.", "— twice, to be sure.", "on 2 cores only!", "because it can't wait?"];

    public static string Build(string corpus)
    {
        lock (Built)
        {
            if (!Built.TryGetValue(corpus, out var text))
                Built[corpus] = text = corpus == "code" ? Code() : English();
            return text;
        }
    }

    private static string English()
    {
        var rng = new Random(1234);
        var sb = new StringBuilder(TargetChars + 200);
        while (sb.Length < TargetChars)
        {
            int sentences = rng.Next(3, 8);
            for (int i = 0; i < sentences; i++)
            {
                sb.Append(Subjects[rng.Next(Subjects.Length)]).Append(' ')
                  .Append(Verbs[rng.Next(Verbs.Length)]).Append(' ')
                  .Append(Objects[rng.Next(Objects.Length)]).Append(' ');
                if (rng.Next(4) == 0)
                    sb.Append("on day ").Append(rng.Next(1, 10000)).Append(' ');
                sb.Append(Tails[rng.Next(Tails.Length)]).Append(' ');
            }
            sb.Append("\n\n");
        }
        return sb.ToString();
    }

    private static string Code()
    {
        var rng = new Random(5678);
        var sb = new StringBuilder(TargetChars + 400);
        string[] types = ["int", "float", "string", "List<int>", "Span<byte>"];
        while (sb.Length < TargetChars)
        {
            int n = rng.Next(1000);
            string type = types[rng.Next(types.Length)];
            sb.Append("    /// <summary>Computes value ").Append(n).Append(" for the caller.</summary>\n")
              .Append("    public static ").Append(type).Append(" Compute").Append(n).Append("(int count, ReadOnlySpan<float> values)\n")
              .Append("    {\n")
              .Append("        if (count <= ").Append(rng.Next(64)).Append(") throw new ArgumentOutOfRangeException(nameof(count));\n")
              .Append("        var total = 0.0f;\n")
              .Append("        for (int i = 0; i < values.Length; i += ").Append(rng.Next(1, 9)).Append(")\n")
              .Append("            total += values[i] * 0x").Append(rng.Next(0x10000).ToString("X4")).Append(";\n")
              .Append("        return Convert(total, \"tag_").Append(n).Append("\"); // TODO: check overflow\n")
              .Append("    }\n\n");
        }
        return sb.ToString();
    }
}

/// <summary>Finds the vocabularies: ../shared/vocab next to the repository (HEARTH_SHARED overrides), else tests/fixtures/vocab.</summary>
internal static class BenchPaths
{
    public static string Vocab(string name)
    {
        string file = $"ggml-vocab-{name}.gguf";
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Hearth.slnx")))
            dir = dir.Parent;
        if (dir is null)
            throw new FileNotFoundException("cannot find the repository root (Hearth.slnx) above " + AppContext.BaseDirectory);
        string shared = Environment.GetEnvironmentVariable("HEARTH_SHARED") is { Length: > 0 } env ? env : Path.Combine(dir.FullName, "..", "shared");
        foreach (var candidate in (string[])[Path.Combine(shared, "vocab", file), Path.Combine(dir.FullName, "tests", "fixtures", "vocab", file)])
            if (File.Exists(candidate))
                return candidate;
        throw new FileNotFoundException($"{file} is in neither {shared}/vocab nor tests/fixtures/vocab");
    }
}
