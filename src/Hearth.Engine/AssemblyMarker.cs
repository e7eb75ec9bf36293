namespace Hearth.Engine;
/// <summary>Marker for the Hearth.Engine assembly.</summary>
public static class AssemblyMarker { }
