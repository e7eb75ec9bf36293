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
        RejectUnsupported(spec);
        var (lease, loadTime) = await ModelAccess.AcquireAsync(ctx, spec.Model, spec.KeepAlive);
        using var _ = lease;
        var model = lease.Model;
        var prompt = spec.Prompt.Tokens(model, spec.Tools);
        var limits = model.Engine.Limits;
        RequestLimits.CheckPrompt(limits, prompt.Length, spec.Prompt.Param);
        var sampling = spec.Defaults.WithModelParameters(model.DefaultParameters).Overlay(spec.Sampling)
            .Build(limits, prompt.Length, spec.ClampMaxTokens, spec.MaxTokensParam);
        // Issue 22 hook: a grammar constraint built from spec.Output / spec.Tools is attached to the engine request here.

        using var run = GenerationRun.Start(ctx, model, prompt, sampling, loadTime);
        if (spec.Stream) await StreamAsync(ctx, run, writer);
        else
        {
            var choices = await CollectedChoice.CollectAsync(run);
            // Issue 22 hook: each choice's text is split into content, reasoning and tool calls here.
            await writer.WriteCompleteAsync(run, choices);
        }
    }

    /// <summary>Until tool calling, structured outputs and reasoning are built (issue 22), requests that need them
    /// get a 400 rather than an answer that silently ignores them.</summary>
    private static void RejectUnsupported(GenerationSpec spec)
    {
        if (spec.Tools is { PassToTemplateOnly: false } tools)
            throw ApiException.BadRequest("tools are not supported yet by this server", tools.Param, "unsupported_feature");
        if (spec.Output is { Advisory: false } output)
            throw ApiException.BadRequest("structured outputs are not supported yet by this server", output.Param, "unsupported_feature");
        if (spec.Reasoning is { } reasoning)
            throw ApiException.BadRequest("reasoning settings are not supported yet by this server", reasoning.Param, "unsupported_feature");
    }

    private static async Task StreamAsync(HttpContext ctx, GenerationRun run, IResponseWriter writer)
    {
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
                // Issue 22 hook: streamed text passes through a tool-call / reasoning parser here.
                await writer.WriteDeltaAsync(run, d);
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
