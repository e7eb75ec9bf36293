namespace Hearth.Bench;
/// <summary>Marker for the Hearth.Bench assembly.</summary>
public static class AssemblyMarker { }
