using System.Text;
using System.Threading.Channels;
using Hearth.Core.Tokenizers;
using Hearth.Engine;
using Hearth.Engine.Models;
using Hearth.Store;
using Hearth.Store.Hosting;

namespace Hearth.Cli.Tests.Commands;

public sealed class InProcessRunTests : IDisposable
{
    private readonly CliHarness _cli = new();
    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task WithoutAServerRunStartsTheEngineInProcess()
    {
        var engine = new ScriptedEngine(["Once", " upon", " a", " time."]);
        var loads = new List<string>();
        _cli.Loader = (entry, _) =>
        {
            loads.Add(entry.Name);
            return Task.FromResult(new LoadedModel(entry.Name, new ByteTokenizer(), null, engine, new ModelShape("llama", 256, entry.ContextLength, 1, 1, 1, 1)));
        };
        var r = await _cli.RunAsync(["run", "tinystories"], stdin: "Tell a story");
        Assert.Equal((0, "Once upon a time.\n", ""), (r.ExitCode, r.Out, r.Err));
        Assert.Equal(["tinystories:latest"], loads);
        Assert.Equal("Tell a story", engine.LastPrompt);
        Assert.Equal(1, engine.DisposeCount); // the session's end unloads the model
    }

    /// <summary>An engine that answers every request with the same pieces of text.</summary>
    private sealed class ScriptedEngine(string[] pieces) : IGenerationEngine
    {
        public string? LastPrompt;
        public int DisposeCount;

        public ChannelReader<GenerationDelta> Submit(GenerationRequest request, CancellationToken cancellationToken = default)
        {
            LastPrompt = Encoding.UTF8.GetString(request.PromptTokens.Select(t => (byte)t).ToArray());
            var channel = Channel.CreateUnbounded<GenerationDelta>();
            for (int i = 0; i < pieces.Length; i++)
                channel.Writer.TryWrite(new GenerationDelta
                {
                    Index = 0, TokenIds = [i], Text = pieces[i],
                    Finish = i == pieces.Length - 1 ? FinishReason.Stop : null,
                    PromptTokens = request.PromptTokens.Count, CompletionTokens = i + 1,
                });
            channel.Writer.Complete();
            return channel.Reader;
        }

        public EngineStats GetStats() => new();
        public EngineLimits Limits { get; } = new(2048, 2048, 256, 16);

        public ValueTask DisposeAsync()
        {
            Interlocked.Increment(ref DisposeCount);
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>One token per UTF-8 byte.</summary>
    private sealed class ByteTokenizer : ITokenizer
    {
        public int VocabSize => 256;
        public int? BosId => null;
        public int? EosId => null;
        public bool AddBos => false;
        public bool AddEos => false;
        public int[] Encode(string text, bool addSpecial, bool parseSpecial) => Encoding.UTF8.GetBytes(text).Select(b => (int)b).ToArray();
        public byte[] TokenBytes(int tokenId, bool renderSpecial = false) => [(byte)tokenId];
        public string Decode(ReadOnlySpan<int> tokenIds, bool renderSpecial = false)
        {
            var bytes = new byte[tokenIds.Length];
            for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)tokenIds[i];
            return Encoding.UTF8.GetString(bytes);
        }
        public bool IsEndOfGeneration(int tokenId) => false;
        public string TokenText(int tokenId) => ((char)tokenId).ToString();
    }
}
