namespace Hearth.Gpu.Kernels;

/// <summary>Marks an explicitly grouped kernel entry point, so tests can compile every kernel to PTX.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class GpuKernelAttribute : Attribute;
