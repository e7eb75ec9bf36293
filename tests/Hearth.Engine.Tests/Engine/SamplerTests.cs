namespace Hearth.Engine.Tests.Engine;

public class SamplerTests
{
    private static Sequence Seq(SamplingParams p, int[] prompt, params int[] output)
    {
        var request = new EngineRequest(1, new GenerationRequest("x", prompt, p), p.MaxTokens,
            (r, i) => new Sequence(r, i, Xoshiro256.ForChoice(p.Seed, i), new Detokenizer()));
        var seq = request.Sequences[0];
        seq.Tokens.AddRange(output);
        return seq;
    }

    private static Sampler NewSampler(int vocab, params int[] ends)
    {
        var eog = new bool[vocab];
        foreach (int e in ends) eog[e] = true;
        return new Sampler(vocab, eog);
    }

    [Fact]
    public void GreedyTakesTheLowestIdAmongEqualMaxima()
    {
        var s = NewSampler(5);
        var seq = Seq(new SamplingParams { Temperature = 0 }, [1]);
        Assert.Equal(1, s.Sample(seq, [0f, 3f, 1f, 3f, 2f]).TokenId);
    }

    [Fact]
    public void LogitBiasIsAddedBeforeTheChoice()
    {
        var s = NewSampler(4);
        float[] logits = [2.0f, 1.9f, 1.0f, -1f];
        Assert.Equal(1, s.Sample(Seq(new SamplingParams { Temperature = 0, LogitBias = [new(0, -0.2f)] }, [3]), logits).TokenId);
        Assert.Equal(3, s.Sample(Seq(new SamplingParams { Temperature = 0, LogitBias = [new(3, 3.5f)] }, [3]), logits).TokenId);
        Assert.Equal(0, s.Sample(Seq(new SamplingParams { Temperature = 0, LogitBias = [new(3, 2.9f)] }, [3]), logits).TokenId);
    }

    [Fact]
    public void PenaltiesChangeTheGreedyChoiceAsSpecified()
    {
        var s = NewSampler(4);
        float[] logits = [2.0f, 1.9f, 1.0f, -1f];
        // Repetition 2 on prompt token 0: 2.0 → 1.0, so token 1 wins.
        Assert.Equal(1, s.Sample(Seq(new SamplingParams { Temperature = 0, RepetitionPenalty = 2f }, [0]), logits).TokenId);
        // Frequency 0.05 × 3 occurrences of output token 0: 2.0 → 1.85 < 1.9.
        Assert.Equal(1, s.Sample(Seq(new SamplingParams { Temperature = 0, FrequencyPenalty = 0.05f }, [3], 0, 0, 0), logits).TokenId);
        // Presence 0.05 once: 2.0 → 1.95, still first. Prompt tokens are not penalised by presence.
        Assert.Equal(0, s.Sample(Seq(new SamplingParams { Temperature = 0, PresencePenalty = 0.05f }, [3], 0, 0, 0), logits).TokenId);
        Assert.Equal(0, s.Sample(Seq(new SamplingParams { Temperature = 0, PresencePenalty = 1f }, [0]), logits).TokenId);
        // Negative logits are multiplied: -1 → -2 keeps token 3 last.
        Assert.Equal(0, s.Sample(Seq(new SamplingParams { Temperature = 0, RepetitionPenalty = 2f }, [3]), logits).TokenId);
    }

    [Fact]
    public void MinTokensSuppressesEndAndStopTokens()
    {
        var s = NewSampler(4, ends: 0);
        float[] logits = [5f, 1f, 4f, 3f];
        var p = new SamplingParams { Temperature = 0, MinTokens = 2, StopTokenIds = [2] };
        Assert.Equal(3, s.Sample(Seq(p, [1], 3), logits).TokenId);     // 1 output token < 2
        Assert.Equal(0, s.Sample(Seq(p, [1], 3, 3), logits).TokenId);  // 2 output tokens: allowed again
    }

    [Fact]
    public void TopKOneAndTinyTopPAreGreedy()
    {
        var s = NewSampler(6);
        float[] logits = [0.5f, 2f, 1.9f, 0f, -3f, 1.99f];
        for (ulong seed = 0; seed < 20; seed++)
        {
            Assert.Equal(1, s.Sample(Seq(new SamplingParams { TopK = 1, Seed = seed }, [0]), logits).TokenId);
            Assert.Equal(1, s.Sample(Seq(new SamplingParams { TopP = 0.01f, Seed = seed }, [0]), logits).TokenId);
            Assert.Equal(1, s.Sample(Seq(new SamplingParams { MinP = 0.999f, Seed = seed }, [0]), logits).TokenId);
        }
    }

    [Fact]
    public void TopKTopPAndMinPOnlyDrawFromTheirCandidates()
    {
        var s = NewSampler(5);
        // Probabilities ∝ e^x: 0.6439, 0.2369, 0.0871, 0.0321 (0 and 1 together pass top_p 0.8), 0.0000.
        float[] logits = [3f, 2f, 1f, 0f, -20f];
        var seenTopP = new HashSet<int>();
        var seenTopK = new HashSet<int>();
        var seenMinP = new HashSet<int>();
        for (ulong seed = 0; seed < 300; seed++)
        {
            seenTopP.Add(s.Sample(Seq(new SamplingParams { TopP = 0.8f, Seed = seed }, [4]), logits).TokenId);
            seenTopK.Add(s.Sample(Seq(new SamplingParams { TopK = 3, Seed = seed }, [4]), logits).TokenId);
            seenMinP.Add(s.Sample(Seq(new SamplingParams { MinP = 0.1f, Seed = seed }, [4]), logits).TokenId);
        }
        Assert.Equal([0, 1], seenTopP.Order());
        Assert.Equal([0, 1, 2], seenTopK.Order());
        Assert.Equal([0, 1, 2], seenMinP.Order()); // 0.0871/0.6439 ≥ 0.1, 0.0321/0.6439 < 0.1
    }

    [Fact]
    public void TemperatureSamplingFollowsTheDistribution()
    {
        var s = NewSampler(3);
        float[] logits = [MathF.Log(0.5f), MathF.Log(0.3f), MathF.Log(0.2f)];
        var counts = new int[3];
        var seq = Seq(new SamplingParams { Seed = 5 }, [0]);
        for (int i = 0; i < 20000; i++) counts[s.Sample(seq, logits).TokenId]++;
        Assert.InRange(counts[0], 9700, 10300);
        Assert.InRange(counts[1], 5700, 6300);
        Assert.InRange(counts[2], 3700, 4300);
    }

    [Fact]
    public void LogprobsAreTheLogSoftmaxOfTheTemperatureScaledLogits()
    {
        var s = NewSampler(4);
        float[] logits = [1f, 3f, 2f, 3f];
        var greedy = s.Sample(Seq(new SamplingParams { Temperature = 0, Logprobs = 2 }, [0]), logits).Logprob!;
        double z = Math.Log(Math.Exp(1) + Math.Exp(3) + Math.Exp(2) + Math.Exp(3));
        Assert.Equal(1, greedy.TokenId);
        Assert.Equal(3 - z, greedy.Logprob, 5);
        Assert.Equal([1, 3], greedy.Top.Select(t => t.TokenId));
        Assert.Equal(3 - z, greedy.Top[1].Logprob, 5);

        var hot = s.Sample(Seq(new SamplingParams { Temperature = 2f, Logprobs = 0, Seed = 1 }, [0]), logits).Logprob!;
        double z2 = Math.Log(Math.Exp(0.5) + Math.Exp(1.5) + Math.Exp(1) + Math.Exp(1.5));
        Assert.Empty(hot.Top);
        Assert.Equal(logits[hot.TokenId] / 2 - z2, hot.Logprob, 5);
    }
}
