namespace Hearth.Core;
/// <summary>Marker for the Hearth.Core assembly.</summary>
public static class AssemblyMarker { }
