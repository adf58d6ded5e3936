namespace Analytics.Contracts;

/// <summary>
/// A completed LLM request. Cache counts are parts of <see cref="InputTokens"/>; reasoning tokens
/// are part of <see cref="OutputTokens"/> (see <see cref="TokenUsage"/>).
/// </summary>
public sealed record LlmRequestCompleted : AnalyticsEvent
{
    /// <inheritdoc />
    public override AnalyticsEventKind Kind => AnalyticsEventKind.LlmRequestCompleted;

    /// <summary>Model name as the caller sent it, for example <c>gpt-4o</c>.</summary>
    public required string Model { get; init; }

    /// <summary>Canonical lowercase provider, for example <c>openai</c>.</summary>
    public required string Provider { get; init; }

    /// <summary>Provider key identifier, for example <c>ip_openai-001</c>.</summary>
    public string? ProviderId { get; init; }

    /// <summary>All prompt tokens, cached ones included.</summary>
    public long InputTokens { get; init; }

    /// <summary>All completion tokens, reasoning ones included.</summary>
    public long OutputTokens { get; init; }

    /// <summary>Prompt tokens served from the provider's prompt cache (part of <see cref="InputTokens"/>).</summary>
    public long CacheReadInputTokens { get; init; }

    /// <summary>Prompt tokens written to the provider's prompt cache (part of <see cref="InputTokens"/>).</summary>
    public long CacheCreationInputTokens { get; init; }

    /// <summary>Reasoning tokens (part of <see cref="OutputTokens"/>).</summary>
    public long ReasoningTokens { get; init; }

    /// <summary>Cost in integer microdollars (1 USD = 1,000,000).</summary>
    public long CostMicros { get; init; }

    /// <summary>True when no price was known for the model and the caller supplied no cost: cost is 0.</summary>
    public bool Unpriced { get; init; }

    /// <summary>Wall time of the whole request in milliseconds, if measured.</summary>
    public long? DurationMs { get; init; }

    /// <summary>Time to the first streamed token in milliseconds, if measured.</summary>
    public long? TimeToFirstTokenMs { get; init; }
}
