namespace Analytics.Actors.Aggregation;

/// <summary>The breakdowns the stats are kept by; the pump keeps one <see cref="KeyAccumulator"/> per key per dimension.</summary>
internal enum StatsDimension
{
    /// <summary>Per model name as recorded.</summary>
    Model,

    /// <summary>Per canonical provider.</summary>
    Provider,

    /// <summary>Per agent id.</summary>
    Agent,
}
