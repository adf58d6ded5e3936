using System.Diagnostics;
using System.Diagnostics.Metrics;
using Analytics.Contracts;
using static Analytics.Actors.Metrics.UsageInstruments;

namespace Analytics.Actors.Metrics;

/// <summary>
/// The <c>Analytics.Usage</c> meter: per-request instruments fed by <c>Measure</c> (one thread, the metrics
/// reader), and observable instruments that read the ring, sync and store counters when a listener collects.
/// </summary>
internal sealed class UsageMeter
{
    private const double MicrosPerDollar = 1_000_000d;

    private readonly Histogram<long> _tokenUsage;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _timeToFirstChunk;
    private readonly Counter<long> _requests;
    private readonly Counter<double> _cost;
    private readonly Counter<long> _tokens;
    private readonly Counter<long> _unpriced;
    private readonly bool _agentAttribute;
    private readonly int _maxAgents;
    private readonly HashSet<string> _agents = new(StringComparer.Ordinal);
    private long _agentOverflow;

    /// <summary>Creates the meter and its instruments.</summary>
    /// <param name="factory">The host's meter factory (it owns and disposes the meter).</param>
    /// <param name="options">Agent attribute settings.</param>
    /// <param name="signals">What the observable instruments read.</param>
    public UsageMeter(IMeterFactory factory, MetricsOptions options, UsageSignals signals)
    {
        _agentAttribute = options.AgentAttribute;
        _maxAgents = options.MaxAgents;
        Meter = factory.Create(new MeterOptions(MeterName) { Version = typeof(UsageMeter).Assembly.GetName().Version?.ToString() });

        _tokenUsage = Meter.CreateHistogram(UsageInstruments.TokenUsage, "{token}", "Number of input and output tokens used.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = UsageInstruments.TokenBuckets });
        _duration = Meter.CreateHistogram(OperationDuration, "s", "GenAI operation duration.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _timeToFirstChunk = Meter.CreateHistogram(TimeToFirstChunk, "s", "Time to receive the first chunk of a streamed response.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _requests = Meter.CreateCounter<long>(Requests, "{request}", "LLM requests by outcome (completed or failed).");
        _cost = Meter.CreateCounter<double>(Cost, "USD", "Cost of the completed requests, from the price catalog or the caller.");
        _tokens = Meter.CreateCounter<long>(Tokens, "{token}", "Cache-read, cache-write and reasoning tokens (parts of the input and output tokens).");
        _unpriced = Meter.CreateCounter<long>(UnpricedRequests, "{request}", "Completed requests whose model had no price (they cost 0).");

        var recorder = signals.Recorder;
        Meter.CreateObservableCounter(IngressAccepted, () => recorder.AcceptedCount, "{event}", "Events accepted into the ingress ring.");
        Meter.CreateObservableCounter(IngressDropped, () => recorder.DroppedCount, "{event}", "Events dropped because the ingress ring was full.");
        Meter.CreateObservableCounter(IngressRejected, () => recorder.RejectedCount, "{event}", "Record calls refused for invalid input or after shutdown.");
        Meter.CreateObservableCounter(IngressFolded, () => recorder.FoldedCount, "{event}", "Events the pump drained and folded into the stats.");
        Meter.CreateObservableUpDownCounter(IngressPending, () => recorder.PendingCount, "{event}", "Events in the ingress ring waiting for the pump.");

        if (signals.Sync is { } sync)
        {
            ObserveSync(SyncHanded, sync, c => c.HandedToSync, "Events handed to the sync queue.");
            ObserveSync(SyncDelivered, sync, c => c.Delivered, "Events the Control API holds (202 or 200 duplicate).");
            ObserveSync(SyncDuplicates, sync, c => c.Duplicates, "Of the delivered events, those answered 200 duplicate.");
            ObserveSync(SyncRejected, sync, c => c.Rejected, "Events refused permanently (4xx), dead-lettered.");
            ObserveSync(SyncUnauthorized, sync, c => c.Unauthorized, "Of the rejected events, those refused with 401 or not sent after one.");
            ObserveSync(SyncUndelivered, sync, c => c.Undelivered, "Events given up on (retry budget spent, shutdown), dead-lettered.");
            ObserveSync(SyncDropped, sync, c => c.SyncDropped, "Events the full sync queue refused.");
            ObserveSync(SyncRetries, sync, c => c.RetriedAttempts, "HTTP attempts that retried an earlier attempt.");
            Meter.CreateObservableUpDownCounter(SyncPending, () => Observe(sync.Current, c => c.Pending), "{event}", "Events queued or in flight to the Control API.");
        }

        if (signals.Store is { } store)
        {
            ObserveStore(StoreWritten, store, s => s.Written, "{event}", "Events committed to the ledger.");
            ObserveStore(StoreDuplicates, store, s => s.Duplicates, "{event}", "Events the ledger already held (same event id).");
            ObserveStore(StoreWriteFailures, store, s => s.WriteFailures, "{transaction}", "Ledger write transactions that failed.");
            ObserveStore(StoreDropped, store, s => s.Dropped, "{event}", "Events the full store queue refused.");
            Meter.CreateObservableUpDownCounter(StoreQueued, () => Observe(store.Read(), s => s.Queued), "{event}", "Events waiting to be written to the ledger.");
        }

        Meter.CreateObservableCounter(MetricsDropped, signals.MetricsDropped, "{event}", "Events the meter did not measure (its queue was full); the stats still count them.");
        Meter.CreateObservableCounter(MetricsAgentOverflow, () => Volatile.Read(ref _agentOverflow), "{request}",
            $"Requests tagged {Other} because more than Analytics:Metrics:MaxAgents agents were seen.");
    }

    /// <summary>The meter (owned by the factory).</summary>
    public Meter Meter { get; }

    /// <summary>Measures one completed or failed event (other kinds are not measured). Metrics reader only: not thread-safe.</summary>
    public void Measure(AnalyticsEvent e)
    {
        if (MeterSample.Of(e) is { } sample) Measure(sample);
    }

    /// <summary>Measures one completed or failed request. Metrics reader only: not thread-safe.</summary>
    /// <remarks>
    /// Each instrument is skipped while nobody listens to it (<see cref="Instrument.Enabled"/>), so a host without an
    /// exporter pays a few checks per request, not the attribute lists.
    /// </remarks>
    public void Measure(in MeterSample sample)
    {
        if (sample.Failed) MeasureFailed(sample);
        else MeasureCompleted(sample);
    }

    private void MeasureCompleted(in MeterSample c)
    {
        if (!(_tokenUsage.Enabled || _duration.Enabled || _timeToFirstChunk.Enabled || _requests.Enabled || _cost.Enabled || _tokens.Enabled
              || _unpriced.Enabled)) return;
        var tags = Tags(c.Provider, c.Model, c.Agent);

        if (_tokenUsage.Enabled)
        {
            _tokenUsage.Record(c.InputTokens, With(tags, TokenType, "input"));
            _tokenUsage.Record(c.OutputTokens, With(tags, TokenType, "output"));
        }
        if (c.DurationMs >= 0 && _duration.Enabled) _duration.Record(c.DurationMs / 1000d, tags);
        if (c.TimeToFirstTokenMs >= 0 && _timeToFirstChunk.Enabled) _timeToFirstChunk.Record(c.TimeToFirstTokenMs / 1000d, tags);
        if (c.CostMicros != 0 && _cost.Enabled) _cost.Add(c.CostMicros / MicrosPerDollar, tags);
        if (c.Unpriced && _unpriced.Enabled) _unpriced.Add(1, tags);
        if (_tokens.Enabled)
        {
            if (c.CacheReadTokens != 0) _tokens.Add(c.CacheReadTokens, With(tags, TokenType, "cache_read"));
            if (c.CacheWriteTokens != 0) _tokens.Add(c.CacheWriteTokens, With(tags, TokenType, "cache_write"));
            if (c.ReasoningTokens != 0) _tokens.Add(c.ReasoningTokens, With(tags, TokenType, "reasoning"));
        }
        if (_requests.Enabled) _requests.Add(1, With(tags, Outcome, "completed"));
    }

    private void MeasureFailed(in MeterSample f)
    {
        if (!(_duration.Enabled || _requests.Enabled)) return;
        var tags = Tags(f.Provider, f.Model, f.Agent);
        tags.Add(ErrorType, string.IsNullOrEmpty(f.ErrorCode) ? Other : f.ErrorCode);
        if (f.DurationMs >= 0 && _duration.Enabled) _duration.Record(f.DurationMs / 1000d, tags);
        if (_requests.Enabled) _requests.Add(1, With(tags, Outcome, "failed"));
    }

    private static TagList With(TagList tags, string key, string value)
    {
        tags.Add(key, value);
        return tags;
    }

    private TagList Tags(string provider, string model, string? agent)
    {
        var tags = new TagList
        {
            { OperationName, Chat },
            { ProviderName, SemanticProvider(provider) },
            { RequestModel, model },
        };
        if (_agentAttribute && agent is not null) tags.Add(AgentId, Agent(agent));
        return tags;
    }

    /// <summary>The agent's attribute value: itself while fewer than the cap were seen, else <see cref="UsageInstruments.Other"/>.</summary>
    private string Agent(string agent)
    {
        if (_agents.Contains(agent)) return agent;
        if (_agents.Count < _maxAgents)
        {
            _agents.Add(agent);
            return agent;
        }
        Interlocked.Increment(ref _agentOverflow);
        return Other;
    }

    /// <summary>
    /// Adds the budget gauge: each budget's spend in its current window, in USD, tagged with its name and window kind.
    /// Read from <paramref name="statuses"/> at collection time.
    /// </summary>
    public void ObserveBudgets(Func<IReadOnlyList<BudgetStatus>> statuses)
        => Meter.CreateObservableGauge(BudgetSpend, () => MeasureBudgets(statuses()), "USD",
            "Spend of each budget (Analytics:Budgets) in its current window; the limit is the budget's LimitUsd.");

    private static IEnumerable<Measurement<double>> MeasureBudgets(IReadOnlyList<BudgetStatus> statuses)
    {
        var measurements = new Measurement<double>[statuses.Count];
        for (var i = 0; i < measurements.Length; i++)
        {
            var s = statuses[i];
            measurements[i] = new Measurement<double>(s.SpentMicros / MicrosPerDollar,
                new KeyValuePair<string, object?>(UsageInstruments.BudgetName, s.Name), new KeyValuePair<string, object?>(UsageInstruments.BudgetWindow, s.Window.ToString().ToLowerInvariant()));
        }
        return measurements;
    }

    private void ObserveSync(string name, SyncStatus sync, Func<SyncCounters, long> read, string description)
        => Meter.CreateObservableCounter(name, () => Observe(sync.Current, read), "{event}", description);

    private void ObserveStore(string name, StoreSignalsSource store, Func<StoreSignals, long> read, string unit, string description)
        => Meter.CreateObservableCounter(name, () => Observe(store.Read(), read), unit, description);

    // No measurement at all while the source is off (sync without endpoint, no store): a 0 would claim it runs.
    private static IEnumerable<Measurement<long>> Observe<T>(T? source, Func<T, long> read) where T : class
        => source is null ? [] : [new Measurement<long>(read(source))];

    private static IEnumerable<Measurement<long>> Observe(StoreSignals? source, Func<StoreSignals, long> read)
        => source is { } s ? [new Measurement<long>(read(s))] : [];
}

/// <summary>What the observable instruments of <see cref="UsageMeter"/> read.</summary>
/// <param name="Recorder">The ring's counters.</param>
/// <param name="Sync">Sync counters (null: no sync instruments).</param>
/// <param name="Store">Store signals (null: no store instruments).</param>
/// <param name="MetricsDropped">Events the metrics queue refused.</param>
internal sealed record UsageSignals(UsageRecorder Recorder, SyncStatus? Sync, StoreSignalsSource? Store, Func<long> MetricsDropped);
