using Microsoft.Extensions.AI;

namespace Analytics.Actors.AI;

/// <summary>
/// How <see cref="UsageAnalyticsChatClient"/> attributes the requests it records. Every member is optional; the defaults
/// read the agent and provider key from <see cref="ChatOptions.AdditionalProperties"/> (<c>agent_id</c>,
/// <c>provider_id</c>) and the provider from the inner client's <see cref="ChatClientMetadata.ProviderName"/>.
/// </summary>
public sealed class UsageAnalyticsChatClientOptions
{
    /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key read for the agent id by default.</summary>
    public const string AgentIdProperty = "agent_id";

    /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key read for the provider key id by default.</summary>
    public const string ProviderIdProperty = "provider_id";

    /// <summary>
    /// Returns the agent a request is counted for. Default (null): the string under <see cref="AgentIdProperty"/> in the
    /// request's <see cref="ChatOptions.AdditionalProperties"/>, else none.
    /// </summary>
    public Func<ChatOptions?, string?>? AgentIdResolver { get; set; }

    /// <summary>
    /// Returns the provider key id (<c>ip_openai-001</c>) of a request. Default (null): the string under
    /// <see cref="ProviderIdProperty"/>, else none.
    /// </summary>
    public Func<ChatOptions?, string?>? ProviderIdResolver { get; set; }

    /// <summary>
    /// The provider of every request (<c>openai</c>, <c>anthropic</c>, ...), overriding the one derived from
    /// <see cref="ChatClientMetadata.ProviderName"/>. Default null: derived, else inferred from the model name.
    /// </summary>
    public string? Provider { get; set; }

    /// <summary>
    /// The clock the durations are measured with. Default null: the <see cref="TimeProvider"/> of the service provider the
    /// pipeline is built with, else <see cref="TimeProvider.System"/>.
    /// </summary>
    public TimeProvider? TimeProvider { get; set; }
}
