namespace Analytics.Actors;

/// <summary>
/// Settings of the usage analytics, bound from the <c>Analytics</c> configuration section
/// (appsettings.json, environment variables such as <c>Analytics__BufferCapacity=50000</c>, command line).
/// Every value is checked when the host starts; a problem stops it with a message naming the key, the range and the value.
/// </summary>
public sealed class AnalyticsOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Analytics";

    /// <summary>Total ingress ring slots. Default 10,000 (as the reference crate); 16..16,777,216.</summary>
    public int BufferCapacity { get; set; } = 10_000;

    /// <summary>Ring shards; 0 (default) picks one per core, at most 8; else 1..64.</summary>
    public int IngressShards { get; set; }

    /// <summary>Most events the pump drains before yielding to other messages. Default 4,096; 1..1,000,000.</summary>
    public int DrainBatchSize { get; set; } = 4_096;

    /// <summary>
    /// How often the pump looks at the ring while events are arriving; a write never wakes it (see
    /// <see cref="WakeFillPercent"/>). Default 00:00:00.001; 1 ms..1 s, at most <see cref="DrainInterval"/>.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// Longest poll period: with nothing arriving, the poller doubles its period from <see cref="PollInterval"/> up to
    /// this, so an idle host wakes a few times a second. Default 00:00:00.100; 1 ms..1 min.
    /// </summary>
    public TimeSpan DrainInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Fill of a ring shard, in percent of its capacity, at which a write wakes a sleeping pump instead of waiting for
    /// its next poll. Only bursts faster than the poll reach it. Default 50; 1..100.
    /// </summary>
    public int WakeFillPercent { get; set; } = 50;

    /// <summary>
    /// Where the pump and its aggregators run. <see cref="PumpThreadMode.Dedicated"/> (default): the pump on a thread of
    /// its own (an Akka PinnedDispatcher) and the aggregators on a dispatcher with two threads of its own
    /// (<c>usage-analytics-aggregators</c> in HOCON), so producers saturating the .NET thread pool cannot starve them and
    /// stats stay answerable; <see cref="PumpThreadMode.ThreadPool"/>: all on the actor system's default dispatcher.
    /// </summary>
    public PumpThreadMode PumpThread { get; set; } = PumpThreadMode.Dedicated;

    /// <summary>Timeout of stats Asks made by the host and helpers. Default 00:00:10; 1 ms..10 min.</summary>
    public TimeSpan AskTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Most distinct keys each breakdown (by model, by provider, by agent) holds. Keys are caller strings and each costs
    /// memory (the pump's entry for it, its row in its breakdown's aggregator and in the stats view, and its latency
    /// sketches), so without a cap memory grows with every new agent id. Once a breakdown is full, events of new keys are
    /// counted under the key <c>(other)</c> (logged once per breakdown); the totals stay exact. Default 10,000; 1..1,000,000.
    /// </summary>
    public int MaxKeysPerBreakdown { get; set; } = 10_000;

    /// <summary>Price catalog settings (<c>Analytics:Pricing</c>).</summary>
    public PricingOptions Pricing { get; set; } = new();

    /// <summary>Upstream sync settings (<c>Analytics:Sync</c>); sync is off until an endpoint is set.</summary>
    public SyncOptions Sync { get; set; } = new();

    /// <summary>The durable ledger (<c>Analytics:Store</c>); off until a path is set.</summary>
    public StoreOptions Store { get; set; } = new();

    /// <summary>The <c>Analytics.Usage</c> meter's settings (<c>Analytics:Metrics</c>).</summary>
    public MetricsOptions Metrics { get; set; } = new();

    /// <summary>Thresholds of the <c>usage-analytics</c> health check (<c>Analytics:Health</c>).</summary>
    public HealthOptions Health { get; set; } = new();

    /// <summary>The HTTP service's ingest and stats endpoints (<c>Analytics:Ingest</c>): API keys, body limit, waits.</summary>
    public IngestOptions Ingest { get; set; } = new();
    /// <summary>
    /// Spend budgets (<c>Analytics:Budgets:&lt;name&gt;</c>) and their webhook (<c>Analytics:Budgets:Webhook</c>). Default
    /// none: no evaluator runs and nothing is paid for.
    /// </summary>
    public BudgetsOptions Budgets { get; set; } = new();

    /// <summary>The cluster view across replicas (<c>Analytics:Cluster</c>); off by default, and needs the <c>LlmUsageAnalytics.Cluster</c> package.</summary>
    public UsageClusterOptions Cluster { get; set; } = new();

    /// <summary>Returns a copy, so callers can tweak options without touching a shared instance.</summary>
    /// <returns>A member-wise copy.</returns>
    public AnalyticsOptions Clone()
    {
        var copy = (AnalyticsOptions)MemberwiseClone();
        copy.Pricing = Pricing.Clone();
        copy.Sync = Sync.Clone();
        copy.Store = Store.Clone();
        copy.Metrics = Metrics.Clone();
        copy.Health = Health.Clone();
        copy.Ingest = Ingest.Clone();
        copy.Budgets = (Budgets ?? new BudgetsOptions()).Clone();
        copy.Cluster = Cluster.Clone();
        return copy;
    }
}

/// <summary>Where the ingress pump runs (<see cref="AnalyticsOptions.PumpThread"/>).</summary>
public enum PumpThreadMode
{
    /// <summary>A dedicated thread for the pump (Akka's PinnedDispatcher) and a dedicated dispatcher for its aggregators: immune to thread-pool starvation.</summary>
    Dedicated,

    /// <summary>The actor system's default dispatcher, on the .NET thread pool.</summary>
    ThreadPool,
}
