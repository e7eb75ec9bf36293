namespace Hearth.Gpu;
/// <summary>Marker for the Hearth.Gpu assembly.</summary>
public static class AssemblyMarker { }
