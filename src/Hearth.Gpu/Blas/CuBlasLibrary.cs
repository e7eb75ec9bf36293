using System.Runtime.InteropServices;

namespace Hearth.Gpu.Blas;

/// <summary>The few cuBLAS entry points the backend needs, bound at run time (libcublas.so.13, .12 or the unversioned
/// name) through function pointers, so the assembly loads on machines without CUDA.</summary>
internal sealed unsafe class CuBlasLibrary : IDisposable
{
    public const int OpN = 0, OpT = 1;
    public const int R32F = 0, R16F = 2, R16BF = 14;
    public const int Compute32F = 68;
    public const int GemmDefault = -1;

    private static readonly string[] LibraryNames = ["libcublas.so.13", "libcublas.so.12", "libcublas.so", "cublas64_13.dll", "cublas64_12.dll"];

    private readonly IntPtr _library;
    private readonly delegate* unmanaged<IntPtr, int> _destroy;
    private readonly delegate* unmanaged<IntPtr, IntPtr, int> _setStream;
    private readonly delegate* unmanaged<IntPtr, int, int, int, int, int, float*, IntPtr, int, int, IntPtr, int, int, float*, IntPtr, int, int, int, int, int> _gemmEx;
    private IntPtr _handle;

    private CuBlasLibrary(IntPtr library)
    {
        _library = library;
        var create = (delegate* unmanaged<IntPtr*, int>)NativeLibrary.GetExport(library, "cublasCreate_v2");
        _destroy = (delegate* unmanaged<IntPtr, int>)NativeLibrary.GetExport(library, "cublasDestroy_v2");
        _setStream = (delegate* unmanaged<IntPtr, IntPtr, int>)NativeLibrary.GetExport(library, "cublasSetStream_v2");
        _gemmEx = (delegate* unmanaged<IntPtr, int, int, int, int, int, float*, IntPtr, int, int, IntPtr, int, int, float*, IntPtr, int, int, int, int, int>)
            NativeLibrary.GetExport(library, "cublasGemmEx");
        IntPtr handle;
        Check(create(&handle), "cublasCreate");
        _handle = handle;
    }

    /// <summary>Loads cuBLAS and creates a handle in the calling thread's current CUDA context.</summary>
    public static CuBlasLibrary Open()
    {
        foreach (var name in LibraryNames)
            if (NativeLibrary.TryLoad(name, out var lib)) return new CuBlasLibrary(lib);
        throw new GpuUnavailableException($"cuBLAS is not installed (tried {string.Join(", ", LibraryNames)})");
    }

    public void SetStream(IntPtr stream) => Check(_setStream(_handle, stream), "cublasSetStream");

    /// <summary>Column-major C[m×n] = op(A)·op(B) with F32 accumulation (alpha 1, beta 0).</summary>
    public void GemmEx(int transA, int transB, int m, int n, int k, IntPtr a, int aType, int lda, IntPtr b, int bType, int ldb,
        IntPtr c, int cType, int ldc)
    {
        float alpha = 1, beta = 0;
        Check(_gemmEx(_handle, transA, transB, m, n, k, &alpha, a, aType, lda, b, bType, ldb, &beta, c, cType, ldc, Compute32F, GemmDefault), "cublasGemmEx");
    }

    private static void Check(int status, string call)
    {
        if (status != 0) throw new InvalidOperationException($"{call} failed with cuBLAS status {status}");
    }

    public void Dispose()
    {
        if (_handle != IntPtr.Zero) _destroy(_handle);
        _handle = IntPtr.Zero;
        NativeLibrary.Free(_library);
    }
}
