namespace Analytics.Contracts;

/// <summary>Why a request failed: <c>new RequestFailure { ErrorCode = "rate_limit", ErrorMessage = "..." }</c>. Both optional.</summary>
public readonly record struct RequestFailure
{
    /// <summary>Machine-readable error code, for example <c>rate_limit</c> or <c>cancelled</c>.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>Human-readable error message.</summary>
    public string? ErrorMessage { get; init; }
}
