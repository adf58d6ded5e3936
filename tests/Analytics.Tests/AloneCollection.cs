namespace Analytics.Tests;

/// <summary>
/// Specs that must not run beside any other: xUnit runs this collection after the parallel ones, one class at a time.
/// For specs that observe something process-wide (a meter listener sees every meter of a name in the process).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "alone";
}
