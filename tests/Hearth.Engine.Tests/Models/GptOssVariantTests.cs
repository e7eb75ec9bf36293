using Hearth.Core.Gguf;
using Hearth.Cpu;
using Hearth.Engine.Models;
using Hearth.Store.Synthetic;

namespace Hearth.Engine.Tests.Models;

/// <summary>A gpt-oss file that lacks a piece the architecture needs (a sink, a bias, the sliding window, the output
/// matrix) is refused at load with one line naming the missing piece, never run as something else.</summary>
public sealed class GptOssVariantTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("hearth-gptoss-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("blk.1.attn_sinks.weight", "tensor 'blk.1.attn_sinks.weight'")]
    [InlineData("blk.0.ffn_gate_exps.bias", "tensor 'blk.0.ffn_gate_exps.bias'")]
    [InlineData("blk.2.attn_output.bias", "tensor 'blk.2.attn_output.bias'")]
    [InlineData("output.weight", "tensor 'output.weight'")]
    [InlineData("gpt-oss.attention.sliding_window", "metadata 'gpt-oss.attention.sliding_window'")]
    public void MissingPieceIsAOneLineError(string dropped, string named)
    {
        string full = Path.Combine(_dir, "full.gguf"), variant = Path.Combine(_dir, "variant.gguf");
        SyntheticModel.Write(full, "tiny-gpt-oss", GgmlType.F16, VocabLocator.Find(SyntheticPreset.Get("tiny-gpt-oss").DefaultVocab), seed: 1);
        using (var f = GgufFile.Open(full))
        {
            var w = new GgufWriter(f.Alignment);
            foreach (var (key, value) in f.Metadata)
                if (key != dropped) w.Set(key, value);
            foreach (var t in f.Tensors.Where(t => t.Name != dropped))
            {
                var info = t;
                w.AddTensor(t.Name, t.Type, t.Dimensions, (s, _) => s.Write(f.GetTensorBytes(info)));
            }
            w.Write(variant);
        }
        using var gguf = GgufFile.Open(variant);
        using var backend = new CpuBackend(1);
        var e = Assert.Throws<NotSupportedException>(() => DecoderModel.Load(gguf, backend));
        Assert.Equal($"{variant}: this gpt-oss variant is not supported: {named} is missing", e.Message);
    }
}
