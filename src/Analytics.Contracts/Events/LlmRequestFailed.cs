namespace Analytics.Contracts;

/// <summary>A failed LLM request. It counts as a request of its model, provider and agent.</summary>
public sealed record LlmRequestFailed : AnalyticsEvent
{
    /// <inheritdoc />
    public override AnalyticsEventKind Kind => AnalyticsEventKind.LlmRequestFailed;

    /// <summary>Model name as the caller sent it.</summary>
    public required string Model { get; init; }

    /// <summary>Canonical lowercase provider.</summary>
    public required string Provider { get; init; }

    /// <summary>Provider key identifier, if any.</summary>
    public string? ProviderId { get; init; }

    /// <summary>Machine-readable error code, for example <c>rate_limit</c>.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>Human-readable error message.</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>Wall time until the failure in milliseconds, if measured.</summary>
    public long? DurationMs { get; init; }
}
