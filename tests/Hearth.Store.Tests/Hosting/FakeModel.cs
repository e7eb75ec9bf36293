using System.Threading.Channels;
using Hearth.Core.Tokenizers;
using Hearth.Engine;
using Hearth.Engine.Models;
using Hearth.Store;
using Hearth.Store.Hosting;

namespace Hearth.Store.Tests.Hosting;

/// <summary>An engine that records whether it was disposed; the host never submits to it in these tests.</summary>
internal sealed class FakeEngine : IGenerationEngine
{
    public int DisposeCount;
    public ChannelReader<GenerationDelta> Submit(GenerationRequest request, CancellationToken cancellationToken = default) =>
        throw new InvalidOperationException("the host tests never generate");
    public EngineStats GetStats() => new();
    public EngineLimits Limits { get; } = new(16, 16, 1, 1);
    public ValueTask DisposeAsync()
    {
        Interlocked.Increment(ref DisposeCount);
        return ValueTask.CompletedTask;
    }
}

/// <summary>A tokenizer with one token; enough to build a <see cref="LoadedModel"/>.</summary>
internal sealed class OneTokenTokenizer : ITokenizer
{
    public int VocabSize => 1;
    public int? BosId => null;
    public int? EosId => 0;
    public bool AddBos => false;
    public bool AddEos => false;
    public int[] Encode(string text, bool addSpecial, bool parseSpecial) => [];
    public byte[] TokenBytes(int tokenId, bool renderSpecial = false) => [];
    public string Decode(ReadOnlySpan<int> tokenIds, bool renderSpecial = false) => "";
    public bool IsEndOfGeneration(int tokenId) => tokenId == 0;
    public string TokenText(int tokenId) => "";
}

/// <summary>A loader that counts loads per model, can be held open by a gate, and keeps every engine it made.</summary>
internal sealed class FakeLoader
{
    public readonly List<(string Name, FakeEngine Engine)> Loads = [];
    public TaskCompletionSource? Gate;
    public Exception? FailWith;

    public async Task<LoadedModel> LoadAsync(ModelEntry entry, CancellationToken cancellationToken)
    {
        if (Gate is { } gate) await gate.Task.WaitAsync(cancellationToken);
        await Task.Yield();
        if (FailWith is { } e) throw e;
        var engine = new FakeEngine();
        lock (Loads) Loads.Add((entry.Name, engine));
        return new LoadedModel(entry.Name, new OneTokenTokenizer(), null, engine, new ModelShape("llama", 1, entry.ContextLength, 1, 1, 1, 1));
    }

    public FakeEngine EngineOf(string name)
    {
        lock (Loads) return Loads.Last(l => l.Name == name).Engine;
    }
}
