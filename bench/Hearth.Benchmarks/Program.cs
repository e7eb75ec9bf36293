using BenchmarkDotNet.Running;
using Hearth.Benchmarks;

// Micro-benchmarks: dotnet run -c Release --project bench/Hearth.Benchmarks -- --filter '*'
// Grammar mask p50/p99 over a document: dotnet run -c Release --project bench/Hearth.Benchmarks -- mask-trace
if (args is ["mask-trace"]) MaskTrace.Run();
else BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
