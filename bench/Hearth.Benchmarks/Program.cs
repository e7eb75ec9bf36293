using BenchmarkDotNet.Running;
using Hearth.Benchmarks;

// Micro-benchmarks: dotnet run -c Release --project bench/Hearth.Benchmarks -- --filter '*'
// Grammar mask p50/p99 over a document: dotnet run -c Release --project bench/Hearth.Benchmarks -- mask-trace
// gpt-oss-20b expert FFN at decode, one by one vs grouped: dotnet run -c Release --project bench/Hearth.Benchmarks -- moe-decode [rounds] [threads]
// gpt-oss-20b experts at batched decode (GB/s of touched experts): dotnet run -c Release --project bench/Hearth.Benchmarks -- moe-batch [rounds] [threads] [streams] [cached]
// MXFP4 micro-kernels in L1, AVX2 kernel vs generic tile: dotnet run -c Release --project bench/Hearth.Benchmarks -- mxfp4-tiles
// Emitted AVX-512 VNNI tiles in L1 (GMAC/s per thread): dotnet run -c Release --project bench/Hearth.Benchmarks -- emitted-tiles
// A model's matrices at batches of 1/4/16/64 tokens (GMAC/s, GB/s): dotnet run -c Release --project bench/Hearth.Benchmarks -- matmul-batch FILE.gguf [rounds] [threads]
// An F16/BF16 model's matrices plain vs grouped vs compact at decode: dotnet run -c Release --project bench/Hearth.Benchmarks -- half-decode FILE.gguf [rounds] [threads]
if (args is ["mask-trace"]) MaskTrace.Run();
else if (args is ["half-decode", ..]) HalfDecodeTrace.Run(args);
else if (args is ["moe-decode", ..]) MoeDecodeTrace.Run(args);
else if (args is ["moe-batch", ..]) MoeBatchTrace.Run(args);
else if (args is ["mxfp4-tiles"]) Mxfp4TileTrace.Run();
else if (args is ["emitted-tiles"]) EmittedTileTrace.Run();
else if (args is ["matmul-batch", ..]) MatMulBatchTrace.Run(args);
else BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
