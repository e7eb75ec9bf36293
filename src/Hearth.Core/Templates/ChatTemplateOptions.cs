namespace Hearth.Core.Templates;

/// <summary>Settings for rendering chat templates.</summary>
/// <param name="Clock">The clock behind the template global <c>strftime_now(fmt)</c> (local time). Tests pin it.</param>
public sealed record ChatTemplateOptions(TimeProvider Clock)
{
    /// <summary>The defaults: the system clock.</summary>
    public static ChatTemplateOptions Default { get; } = new(TimeProvider.System);
}
