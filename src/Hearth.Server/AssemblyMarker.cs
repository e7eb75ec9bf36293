namespace Hearth.Server;
/// <summary>Marker for the Hearth.Server assembly.</summary>
public static class AssemblyMarker { }
