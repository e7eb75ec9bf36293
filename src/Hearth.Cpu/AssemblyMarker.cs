namespace Hearth.Cpu;
/// <summary>Marker for the Hearth.Cpu assembly.</summary>
public static class AssemblyMarker { }
