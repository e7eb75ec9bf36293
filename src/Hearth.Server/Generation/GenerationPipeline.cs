using Hearth.Engine;
using Hearth.Server.Http;
using Microsoft.AspNetCore.Http;

namespace Hearth.Server.Generation;

/// <summary>The one generation path every protocol shares: acquire the model → build the prompt → check it fits →
/// build sampling → start the engine request → answer through the protocol's <see cref="IResponseWriter"/>.
/// Protocols only parse their request into a <see cref="GenerationSpec"/> and frame the answer.</summary>
public static class GenerationPipeline
{
    public static async Task RunAsync(HttpContext ctx, GenerationSpec spec, IResponseWriter writer)
    {
        RejectUnsupported(spec, writer);
        var (lease, loadTime) = await ModelAccess.AcquireAsync(ctx, spec.Model, spec.KeepAlive);
        using var _ = lease;
        var model = lease.Model;
        // A harmony model (gpt-oss) writes its thinking and calls on channels: one plan replaces the other two.
        var harmony = HarmonyPlan.From(spec, model, writer);
        var tools = harmony is null ? ToolPlan.From(spec.Tools, model.ChatTemplate) : null;
        var options = ReasoningPlan.Options(spec);
        var reasoning = harmony is null ? ReasoningPlan.From(spec, model, options, writer) : null;
        var limits = model.Engine.Limits;
        var prompts = new List<int[]>(1 + spec.MorePrompts.Count);
        foreach (var p in (IEnumerable<PromptSpec>)[spec.Prompt, .. spec.MorePrompts])
        {
            prompts.Add(p.Tokens(model, options));
            RequestLimits.CheckPrompt(limits, prompts[^1].Length, p.Param);
        }
        // The longest prompt decides what room is left; each prompt runs n sequences.
        var sampling = spec.Defaults.WithModelParameters(model.DefaultParameters).Overlay(spec.Sampling)
            .Build(limits, prompts.Max(p => p.Length), spec.ClampMaxTokens, spec.MaxTokensParam);
        RequestLimits.CheckSequences(limits, sampling.N * prompts.Count);
        if (harmony?.Grammar is { } harmonyGrammar) sampling = sampling with { Grammar = harmonyGrammar };
        else if (tools?.Grammar is { } toolGrammar)
        {
            if (spec.Output is { } both) throw ApiException.BadRequest("tool_choice \"required\" or a named tool cannot be combined with an output format", both.Param);
            sampling = sampling with { Grammar = toolGrammar };
        }
        else if (spec.Output is { } output) sampling = sampling with { Grammar = OutputGrammar.Compile(output) };
        if (sampling.Grammar is { } grammar)
        {
            OutputGrammar.CheckVocabulary(grammar, model, spec.Output?.Param ?? "tool_choice");
            // A thinking model thinks first: the constraint applies to the answer after the thinking.
            if (reasoning is not null) sampling = sampling with { Grammar = reasoning.Wrap(grammar) };
        }

        // A request's own adapter list (llama-server's "lora") replaces the one its model name brings.
        using var lora = spec.Lora?.Acquire(ctx, model);
        using var run = GenerationRun.Start(ctx, model, prompts, sampling, loadTime, reasoning, lora is null ? model.Lora : lora.Selection);
        if (spec.Stream) await StreamAsync(ctx, run, writer, tools, reasoning, harmony);
        else
        {
            var choices = await CollectedChoice.CollectAsync(run);
            reasoning?.Apply(choices);
            tools?.Apply(choices);
            harmony?.Apply(choices);
            await writer.WriteCompleteAsync(run, choices);
        }
    }

    /// <summary>The prompt's token count for the spec's model, without generating (Anthropic's count_tokens).</summary>
    public static async Task<int> CountPromptTokensAsync(HttpContext ctx, GenerationSpec spec)
    {
        var (lease, _) = await ModelAccess.AcquireAsync(ctx, spec.Model, spec.KeepAlive);
        using var _ = lease;
        return spec.Prompt.Tokens(lease.Model, ReasoningPlan.Options(spec)).Length;
    }

    /// <summary>Tools on a protocol whose writer cannot answer with calls get a 400 rather than an answer that
    /// silently ignores them.</summary>
    private static void RejectUnsupported(GenerationSpec spec, IResponseWriter writer)
    {
        if (spec.Tools is { } tools && writer is not IToolCallWriter)
            throw ApiException.BadRequest("tools are not supported yet by this server", tools.Param, "unsupported_feature");
    }

    private static async Task StreamAsync(HttpContext ctx, GenerationRun run, IResponseWriter writer, ToolPlan? tools, ReasoningPlan? reasoning,
        HarmonyPlan? harmony)
    {
        var thinking = reasoning?.Stream(run.N, writer);
        var channels = harmony?.Stream(run.N, writer);
        var calls = tools is not null && writer is IToolCallWriter callWriter ? new ToolCallDeltas(tools.Format, run.N, callWriter) : null;
        await writer.StartStreamAsync(run);
        try
        {
            await foreach (var d in run.ReadAsync())
            {
                if (d.Finish is FinishReason.Error)
                {
                    await FailAsync(ctx, writer, "generation failed: " + (d.Error ?? "engine error"));
                    return;
                }
                if (channels is not null)
                {
                    await channels.HandleAsync(run, writer, d);
                    continue;
                }
                var delta = thinking is null ? d : await thinking.SplitAsync(run, d);
                if (calls is null) await writer.WriteDeltaAsync(run, delta);
                else await calls.HandleAsync(run, writer, delta);
            }
            await writer.EndStreamAsync(run);
        }
        catch (Exception e) when (e is not OperationCanceledException && !ctx.RequestAborted.IsCancellationRequested)
        {
            await FailAsync(ctx, writer, e is ApiException or InvalidRequestException ? e.Message : "internal server error");
        }
    }

    /// <summary>Once a stream has started its status is 200; the failure goes into the stream and the request log.</summary>
    private static Task FailAsync(HttpContext ctx, IResponseWriter writer, string message)
    {
        RequestRecord.Of(ctx).Status = 500;
        return writer.WriteStreamErrorAsync(message);
    }
}
