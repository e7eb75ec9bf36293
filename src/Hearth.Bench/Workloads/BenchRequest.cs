namespace Hearth.Bench.Workloads;

/// <summary>One prompt to send: its text, its length in tokens (exact with a tokenizer, else the stated
/// approximation) and the number of tokens to ask for (<c>max_tokens</c>).</summary>
public sealed record BenchRequest(string Prompt, int PromptTokens, int MaxTokens);

/// <summary>A list of prompts for one level plus a sentence saying how lengths were measured.</summary>
public sealed record Workload(IReadOnlyList<BenchRequest> Requests, string Note);
