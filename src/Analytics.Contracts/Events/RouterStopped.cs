namespace Analytics.Contracts;

/// <summary>
/// The router stopped. When recorded through the recorder the totals are captured by the pump
/// and include every event recorded before the stop call returned.
/// </summary>
public sealed record RouterStopped : AnalyticsEvent
{
    /// <inheritdoc />
    public override AnalyticsEventKind Kind => AnalyticsEventKind.RouterStopped;

    /// <summary>All LLM requests (completed + failed) folded before the stop.</summary>
    public long TotalRequests { get; init; }

    /// <summary>Total cost in microdollars folded before the stop.</summary>
    public long TotalCostMicros { get; init; }
}
