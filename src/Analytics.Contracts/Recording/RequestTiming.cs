namespace Analytics.Contracts;

/// <summary>
/// How long a request took, when measured: <c>new RequestTiming { DurationMs = 840, TimeToFirstTokenMs = 210 }</c>.
/// Both values are optional and must be >= 0.
/// </summary>
public readonly record struct RequestTiming
{
    /// <summary>Wall time of the whole request (until the failure, for a failed one), in milliseconds.</summary>
    public long? DurationMs { get; init; }

    /// <summary>Time to the first streamed token, in milliseconds.</summary>
    public long? TimeToFirstTokenMs { get; init; }
}
