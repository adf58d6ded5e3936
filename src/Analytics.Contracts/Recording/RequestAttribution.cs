namespace Analytics.Contracts;

/// <summary>
/// Who a request is attributed to. Set the fields by name
/// (<c>new RequestAttribution { AgentId = "agent-7", ProviderId = "ip_openai-001" }</c>), so two strings can never be
/// swapped at a call site. Every field is optional; <c>default</c> attributes nothing.
/// </summary>
public readonly record struct RequestAttribution
{
    /// <summary>The agent (or user, team, API key) the request is counted for in the per-agent breakdown.</summary>
    public string? AgentId { get; init; }

    /// <summary>The provider (<c>openai</c>, <c>anthropic</c>, ...); null infers it from the model name and the price catalog.</summary>
    public string? Provider { get; init; }

    /// <summary>
    /// The provider key identifier, an opaque string such as <c>ip_openai-001</c> that names which of your provider
    /// keys served the request; forwarded upstream as <c>provider_id</c>.
    /// </summary>
    public string? ProviderId { get; init; }
}
