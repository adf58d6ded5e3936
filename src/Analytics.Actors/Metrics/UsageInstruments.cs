namespace Analytics.Actors.Metrics;

/// <summary>
/// The names of the <c>Analytics.Usage</c> meter, its instruments and their attributes: the GenAI ones as the OpenTelemetry
/// semantic conventions spell them, ours under <c>analytics.usage.*</c>. The README's metric table lists the same.
/// </summary>
internal static class UsageInstruments
{
    public const string MeterName = "Analytics.Usage";

    // OpenTelemetry GenAI client instruments.
    public const string TokenUsage = "gen_ai.client.token.usage";
    public const string OperationDuration = "gen_ai.client.operation.duration";
    public const string TimeToFirstChunk = "gen_ai.client.operation.time_to_first_chunk";

    // Ours, per request.
    public const string Requests = "analytics.usage.requests";
    public const string Cost = "analytics.usage.cost";
    public const string Tokens = "analytics.usage.tokens";
    public const string UnpricedRequests = "analytics.usage.unpriced_requests";

    // Ours, observed at collection time.
    public const string IngressAccepted = "analytics.usage.ingress.accepted";
    public const string IngressDropped = "analytics.usage.ingress.dropped";
    public const string IngressRejected = "analytics.usage.ingress.rejected";
    public const string IngressFolded = "analytics.usage.ingress.folded";
    public const string IngressPending = "analytics.usage.ingress.pending";
    public const string SyncHanded = "analytics.usage.sync.handed";
    public const string SyncDelivered = "analytics.usage.sync.delivered";
    public const string SyncDuplicates = "analytics.usage.sync.duplicates";
    public const string SyncRejected = "analytics.usage.sync.rejected";
    public const string SyncUnauthorized = "analytics.usage.sync.unauthorized";
    public const string SyncUndelivered = "analytics.usage.sync.undelivered";
    public const string SyncDropped = "analytics.usage.sync.dropped";
    public const string SyncRetries = "analytics.usage.sync.retried_attempts";
    public const string SyncPending = "analytics.usage.sync.pending";
    public const string StoreWritten = "analytics.usage.store.written";
    public const string StoreDuplicates = "analytics.usage.store.duplicates";
    public const string StoreWriteFailures = "analytics.usage.store.write_failures";
    public const string StoreDropped = "analytics.usage.store.dropped";
    public const string StoreQueued = "analytics.usage.store.queued";
    public const string MetricsDropped = "analytics.usage.metrics.dropped";
    public const string MetricsAgentOverflow = "analytics.usage.metrics.agent_overflow";
    public const string BudgetSpend = "analytics.usage.budget.spend";

    // Attributes.
    public const string OperationName = "gen_ai.operation.name";
    public const string ProviderName = "gen_ai.provider.name";
    public const string RequestModel = "gen_ai.request.model";
    public const string TokenType = "gen_ai.token.type";
    public const string AgentId = "gen_ai.agent.id";
    public const string ErrorType = "error.type";
    public const string Outcome = "analytics.request.outcome";
    public const string BudgetName = "analytics.budget.name";
    public const string BudgetWindow = "analytics.budget.window";

    /// <summary>The operation every recorded request is: a chat completion.</summary>
    public const string Chat = "chat";

    /// <summary>The agent value of requests past the <see cref="MetricsOptions.MaxAgents"/> cap, and the error type of failures without a code.</summary>
    public const string Other = "_OTHER";

    /// <summary>The spec's explicit buckets for <see cref="TokenUsage"/> (powers of 4 from 1 to 67,108,864).</summary>
    public static readonly long[] TokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    /// <summary>The spec's explicit buckets, in seconds, for <see cref="OperationDuration"/> and <see cref="TimeToFirstChunk"/>.</summary>
    public static readonly double[] SecondsBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

    /// <summary>
    /// The <c>gen_ai.provider.name</c> of one of our providers: the spec's well-known value where there is one
    /// (<c>google</c> is <c>gcp.gen_ai</c>, <c>mistral</c> <c>mistral_ai</c>, <c>xai</c> <c>x_ai</c>), else ours.
    /// </summary>
    public static string SemanticProvider(string provider) => provider switch
    {
        "google" => "gcp.gen_ai",
        "mistral" => "mistral_ai",
        "xai" => "x_ai",
        _ => provider,
    };
}
