namespace Hearth.Router;
/// <summary>Marker for the Hearth.Router assembly.</summary>
public static class AssemblyMarker { }
