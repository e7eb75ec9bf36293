using System.Text;
using Hearth.Router.Proxy;
using Hearth.Router.Routing;

namespace Hearth.Router.Tests;

public class UnitTests
{
    [Fact]
    public void SseUsageIsFoundWhenTheEventIsSplitAcrossChunks()
    {
        var stream = Encoding.UTF8.GetBytes(
            "data: {\"choices\":[{\"delta\":{\"content\":\"usage\"}}],\"usage\":null}\n\n" +
            "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":123,\"completion_tokens\":45}}\r\n\r\ndata: [DONE]\n\n");
        foreach (var step in new[] { 1, 7, 64, stream.Length })
        {
            var scanner = new UsageScanner(sse: true);
            for (var i = 0; i < stream.Length; i += step) scanner.Feed(stream.AsSpan(i, Math.Min(step, stream.Length - i)));
            scanner.Complete();
            Assert.Equal(123, scanner.PromptTokens);
            Assert.Equal(45, scanner.CompletionTokens);
        }
    }

    [Fact]
    public void JsonUsageIsReadAtTheEndAndGarbageIsIgnored()
    {
        var json = new UsageScanner(sse: false);
        json.Feed("{\"usage\":{\"prompt_tokens\":3,"u8);
        json.Feed("\"completion_tokens\":4}}"u8);
        json.Complete();
        Assert.Equal((3, 4), (json.PromptTokens!.Value, json.CompletionTokens!.Value));
        var garbage = new UsageScanner(sse: false);
        garbage.Feed("not json \"usage\""u8);
        garbage.Complete();
        Assert.Null(garbage.PromptTokens);
    }

    [Fact]
    public void PrefixKeyUsesPromptOrRoleTaggedMessagesUpToTheLimit()
    {
        var chat = ProxyRequest.TryParse("{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hi there\"}]}]}"u8, out _)!;
        Assert.Equal("system: Be brief.\nuser: Hi there\n", chat.PrefixKey(1000));
        Assert.Equal("system: Be", chat.PrefixKey(10));
        var completion = ProxyRequest.TryParse("{\"model\":\"m\",\"prompt\":\"Once upon a time\",\"stream\":true}"u8, out _)!;
        Assert.True(completion.Stream);
        Assert.Equal("Once upon", completion.PrefixKey(9));
        Assert.Null(ProxyRequest.TryParse("{\"messages\":[]}"u8, out var err));
        Assert.Equal("'model' is required and must be a string", err);
        Assert.Null(ProxyRequest.TryParse("{oops"u8, out err));
        Assert.StartsWith("the request body is not valid JSON", err);
    }

    [Fact]
    public void RewriteSwapsModelAndAsksForStreamUsageOnlyWhenTheClientDidNotSetOptions()
    {
        var r = ProxyRequest.TryParse("{\"model\":\"m\",\"stream\":true}"u8, out _)!;
        Assert.Equal("{\"model\":\"up-id\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}", Encoding.UTF8.GetString(r.BodyFor("up-id", true)));
        var own = ProxyRequest.TryParse("{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":false}}"u8, out _)!;
        Assert.Equal("{\"model\":\"x\",\"stream\":true,\"stream_options\":{\"include_usage\":false}}", Encoding.UTF8.GetString(own.BodyFor("x", true)));
    }

    [Fact]
    public void RingWalkVisitsEveryMemberOnceAndIsStable()
    {
        var ring = new HashRing<string>([("a", "a"), ("b", "b"), ("c", "c")]);
        var order = ring.Walk("some prefix").ToList();
        Assert.Equal(3, order.Distinct().Count());
        Assert.Equal(order, ring.Walk("some prefix").ToList());
        // Removing a member keeps every key that did not map to it where it was (consistent hashing).
        var smaller = new HashRing<string>([("a", "a"), ("b", "b")]);
        for (var i = 0; i < 200; i++)
        {
            var key = $"key-{i}";
            var owner = ring.Walk(key).First();
            if (owner != "c") Assert.Equal(owner, smaller.Walk(key).First());
            else Assert.Equal(ring.Walk(key).Skip(1).First(), smaller.Walk(key).First());
        }
    }

    [Fact]
    public void BreakerAdmitsOneProbeAfterCooldown()
    {
        var b = new CircuitBreaker(2, TimeSpan.FromMilliseconds(100));
        b.OnFailure(0);
        Assert.Equal(BreakerState.Closed, b.State);
        b.OnFailure(0);
        Assert.Equal(BreakerState.Open, b.State);
        Assert.False(b.TryAcquire(99));
        Assert.True(b.TryAcquire(100));
        Assert.Equal(BreakerState.HalfOpen, b.State);
        Assert.False(b.TryAcquire(100)); // only one probe
        b.OnSuccess();
        Assert.Equal(BreakerState.Closed, b.State);
        Assert.True(b.TryAcquire(101));
    }
}
