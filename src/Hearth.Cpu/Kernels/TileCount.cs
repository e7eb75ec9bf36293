namespace Hearth.Cpu.Kernels;

/// <summary>A compile-time count for register-tiled kernels: written once as <c>Tile&lt;TN&gt;</c> with
/// <c>if (TN.N &gt; k)</c> guards, each struct instantiation is specialised by the JIT and the unused lanes vanish.</summary>
internal interface ITileCount { static abstract int N { get; } }

internal struct Count1 : ITileCount { public static int N => 1; }
internal struct Count2 : ITileCount { public static int N => 2; }
internal struct Count3 : ITileCount { public static int N => 3; }
internal struct Count4 : ITileCount { public static int N => 4; }
internal struct Count5 : ITileCount { public static int N => 5; }
internal struct Count6 : ITileCount { public static int N => 6; }
internal struct Count8 : ITileCount { public static int N => 8; }
