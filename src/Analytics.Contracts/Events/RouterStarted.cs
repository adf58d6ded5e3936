namespace Analytics.Contracts;

/// <summary>The router started listening.</summary>
public sealed record RouterStarted : AnalyticsEvent
{
    /// <inheritdoc />
    public override AnalyticsEventKind Kind => AnalyticsEventKind.RouterStarted;

    /// <summary>The port the router listens on.</summary>
    public int Port { get; init; }
}
