using System.Reflection;
using Hearth.Gpu.Kernels;
using ILGPU;
using ILGPU.Backends;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Hearth.Gpu.Tests;

/// <summary>Every kernel compiles to PTX for Ampere (sm_80) and Hopper (sm_90) without a GPU: catches what the CPU
/// accelerator would let through (managed calls, unsupported intrinsics, shared memory misuse). ILGPU 1.5.3 emits
/// `.target sm_80` code for both (its newest code generation level); the driver JIT-compiles it for Hopper.</summary>
public sealed class PtxCompileTests
{
    public static TheoryData<string> Kernels()
    {
        var data = new TheoryData<string>();
        foreach (var m in KernelMethods()) data.Add($"{m.DeclaringType!.Name}.{m.Name}");
        return data;
    }

    private static IEnumerable<MethodInfo> KernelMethods() =>
        typeof(GpuBackend).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
            .Where(m => m.GetCustomAttribute<GpuKernelAttribute>() != null)
            .OrderBy(m => m.DeclaringType!.Name).ThenBy(m => m.Name);

    [Fact]
    public void EveryKernelTheBackendLoadsIsMarked()
    {
        // KernelSet loads 25 kernels; a new one without [GpuKernel] would escape the PTX check.
        Assert.Equal(25, KernelMethods().Count());
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void CompilesForSm80AndSm90(string name)
    {
        var method = KernelMethods().Single(m => $"{m.DeclaringType!.Name}.{m.Name}" == name);
        using var context = Context.Create(b => b.EnableAlgorithms().Optimize(OptimizationLevel.O2));
        foreach (var (arch, isa, target) in new[] { (CudaArchitecture.SM_80, CudaInstructionSet.ISA_80, "sm_80"), (CudaArchitecture.SM_90, CudaInstructionSet.ISA_80, "sm_80") })
        {
            using var backend = new PTXBackend(context, arch, isa, null!);
            var entry = EntryPointDescription.FromExplicitlyGroupedKernel(method);
            var kernel = (PTXCompiledKernel)backend.Compile(entry, default(KernelSpecialization));
            Assert.Contains(".entry", kernel.PTXAssembly);
            Assert.Contains($".target {target}", kernel.PTXAssembly);
        }
    }
}
