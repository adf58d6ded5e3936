using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Analytics.Actors.Aggregation;
using Analytics.Actors.Ingress;
using Analytics.Actors.Pricing;
using Analytics.Contracts;

namespace Analytics.Actors;

/// <summary>
/// The single consumer of the ingress ring and the coordinator of the stats. It drains the ring in
/// batches (woken by the first write after it went idle, plus a safety timer), prices each event and
/// infers its provider (memoised per model string), folds the batch per key and tells one
/// <see cref="AggregatorActor"/> per touched key, offers materialised events to the taps (streaming
/// subscriptions, sync), and answers <see cref="UsageQueries.GetStats"/> with read-your-writes.
/// </summary>
public sealed class IngressPumpActor : UntypedActor, IWithTimers
{
    private const int MaxMemoisedModels = 100_000;

    private readonly UsageRecorder _recorder;
    private readonly IPriceCatalog _catalog;
    private readonly AnalyticsOptions _options;
    private readonly TimeProvider _time;
    private readonly Func<SyncCounters?>? _syncCounters;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    private readonly Dictionary<string, IActorRef>[] _children = NewMaps<IActorRef>();
    private readonly Dictionary<string, RowAccumulator>[] _batch = NewMaps<RowAccumulator>();
    // Builders, not dictionaries: a fold reply mutates in place instead of allocating a new tree path and wrapper,
    // and ToImmutable() at snapshot time is O(1) (later writes copy only what they touch). With 1,000 changed models
    // and agents this took the worst-case stats Ask from 3.3 ms to the figure in docs/benchmarks.md.
    private readonly ImmutableDictionary<string, UsageRow>.Builder[] _views =
        [ImmutableDictionary.CreateBuilder<string, UsageRow>(), ImmutableDictionary.CreateBuilder<string, UsageRow>(), ImmutableDictionary.CreateBuilder<string, UsageRow>()];
    private readonly List<IActorRef> _waitingForStats = [];
    private readonly List<IngressRecord> _deferredStops = [];
    private readonly RowAccumulator _totals = new();
    private readonly Dictionary<string, ModelInfo> _models = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _providers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _warnedUnpriced = new(StringComparer.Ordinal);
    private long _catalogVersion;
    private long _folded;
    private long _budgetEvents, _routerStarts, _routerStops;
    private int _outstandingFolds;
    private int _childCount;
    private bool _batchDirty;

    /// <summary>Use <see cref="CreateProps"/>; public only because Props activation needs it.</summary>
    /// <param name="recorder">See <see cref="CreateProps"/>.</param>
    /// <param name="catalog">See <see cref="CreateProps"/>.</param>
    /// <param name="options">See <see cref="CreateProps"/>.</param>
    /// <param name="time">See <see cref="CreateProps"/>.</param>
    /// <param name="syncCounters">See <see cref="CreateProps"/>.</param>
    public IngressPumpActor(UsageRecorder recorder, IPriceCatalog catalog, AnalyticsOptions options, TimeProvider time, Func<SyncCounters?>? syncCounters)
    {
        _recorder = recorder;
        _catalog = catalog;
        _options = options;
        _time = time;
        _syncCounters = syncCounters;
        _catalogVersion = catalog.Version;
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for the pump.</summary>
    /// <param name="recorder">The recorder whose ring this pump drains.</param>
    /// <param name="catalog">Prices.</param>
    /// <param name="options">Options (drain batch size and interval).</param>
    /// <param name="time">Clock used to stamp events recorded without a timestamp.</param>
    /// <param name="syncCounters">Reads the sync pipeline's counters for the stats; null when sync is off.</param>
    /// <returns>Props.</returns>
    public static Props CreateProps(UsageRecorder recorder, IPriceCatalog catalog, AnalyticsOptions options, TimeProvider? time = null, Func<SyncCounters?>? syncCounters = null)
        => Props.Create(() => new IngressPumpActor(recorder, catalog, options, time ?? TimeProvider.System, syncCounters));

    /// <inheritdoc />
    protected override void PreStart()
    {
        var self = Self;
        Timers.StartPeriodicTimer("drain", DrainTick.Instance, _options.DrainInterval);
        _recorder.AttachPump(() => self.Tell(Wake.Instance));
    }

    /// <inheritdoc />
    protected override void PostStop() => _recorder.DetachPump();

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Wake or DrainTick:
                DrainSome();
                break;
            case UsageQueries.GetStats:
                Drain(int.MaxValue, waitForInFlight: true);
                FlushBatch();
                if (_outstandingFolds == 0) Sender.Tell(Snapshot());
                else _waitingForStats.Add(Sender);
                break;
            case AggregatorActor.Folded folded:
                var i = (int)folded.Dimension;
                _views[i][folded.Key] = folded.Row;
                if (--_outstandingFolds == 0 && _waitingForStats.Count > 0)
                {
                    var stats = Snapshot();
                    foreach (var asker in _waitingForStats) asker.Tell(stats);
                    _waitingForStats.Clear();
                }
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void DrainSome()
    {
        var drained = Drain(_options.DrainBatchSize, waitForInFlight: false);
        FlushBatch();
        // A full batch means more is probably waiting: continue through the mailbox so queries interleave.
        if (drained >= _options.DrainBatchSize || _recorder.GoIdle()) Self.Tell(Wake.Instance);
    }

    /// <summary>
    /// Reads up to <paramref name="max"/> events. With <paramref name="waitForInFlight"/> it reads up to each
    /// shard's tail as seen on entry, spinning on slots a producer has claimed but not finished writing,
    /// which is what makes a stats Ask see every write that returned before it was sent.
    /// </summary>
    private int Drain(int max, bool waitForInFlight)
    {
        if (_catalog.Version != _catalogVersion)
        {
            _models.Clear();
            _catalogVersion = _catalog.Version;
        }

        var count = DrainShards(max, waitForInFlight);
        while (_deferredStops.Count > 0)
        {
            // A stop's totals must include writes that returned before the stop was recorded, which may sit
            // in a shard this pass had already left: drain everything once more before stamping them.
            var stops = _deferredStops.ToArray();
            _deferredStops.Clear();
            count += DrainShards(int.MaxValue, waitForInFlight: true);
            foreach (var stop in stops) EmitStop(stop);
        }
        return count;
    }

    private int DrainShards(int max, bool waitForInFlight)
    {
        var count = 0;
        foreach (var shard in _recorder.Buffer.Shards)
        {
            var target = waitForInFlight ? shard.TailSnapshot() : 0;
            var spin = new SpinWait();
            while (count < max)
            {
                if (shard.TryRead(out var record))
                {
                    Fold(record);
                    count++;
                }
                else if (waitForInFlight && shard.Consumed < target)
                {
                    spin.SpinOnce();
                }
                else
                {
                    break;
                }
            }
        }
        return count;
    }

    private void Fold(in IngressRecord r)
    {
        _folded++;
        _batchDirty = true;
        switch (r.Kind)
        {
            case AnalyticsEventKind.LlmRequestCompleted:
                FoldCompleted(r);
                break;
            case AnalyticsEventKind.LlmRequestFailed:
                FoldFailed(r);
                break;
            case AnalyticsEventKind.BudgetThresholdReached:
                _budgetEvents++;
                Emit(r.Prebuilt!);
                break;
            case AnalyticsEventKind.RouterStarted:
                _routerStarts++;
                Emit(r.Prebuilt!);
                break;
            case AnalyticsEventKind.RouterStopped when r.Prebuilt is null:
                _deferredStops.Add(r);
                break;
            case AnalyticsEventKind.RouterStopped:
                _routerStops++;
                Emit(r.Prebuilt);
                break;
        }
    }

    private void FoldCompleted(in IngressRecord r)
    {
        var info = ResolveModel(r.Model!);
        var provider = r.Provider is null ? info.Provider : CanonicalProvider(r.Provider);
        long cost;
        bool unpriced;
        if (r.CostMicros >= 0)
        {
            cost = r.CostMicros;
            unpriced = r.Prebuilt is LlmRequestCompleted { Unpriced: true };
        }
        else if (info.Price is { } price)
        {
            cost = CostCalculator.Compute(price, new TokenUsage(r.InputTokens, r.OutputTokens, r.CacheReadTokens, r.CacheCreationTokens, r.ReasoningTokens));
            unpriced = false;
        }
        else
        {
            cost = 0;
            unpriced = true;
            WarnUnpriced(r.Model!);
        }

        Accumulator(StatsDimension.Model, r.Model!).AddCompleted(r, cost, unpriced);
        Accumulator(StatsDimension.Provider, provider).AddCompleted(r, cost, unpriced);
        if (r.AgentId is not null) Accumulator(StatsDimension.Agent, r.AgentId).AddCompleted(r, cost, unpriced);
        _totals.AddCompleted(r, cost, unpriced);

        if (_recorder.Taps.Length > 0)
        {
            Emit(new LlmRequestCompleted
            {
                EventId = r.EventId ?? NewEventId(),
                TimestampMs = Stamp(r.TimestampMs),
                AgentId = r.AgentId,
                Model = r.Model!,
                Provider = provider,
                ProviderId = r.ProviderId,
                InputTokens = r.InputTokens,
                OutputTokens = r.OutputTokens,
                CacheReadInputTokens = r.CacheReadTokens,
                CacheCreationInputTokens = r.CacheCreationTokens,
                ReasoningTokens = r.ReasoningTokens,
                CostMicros = cost,
                Unpriced = unpriced,
                DurationMs = r.DurationMs >= 0 ? r.DurationMs : null,
                TimeToFirstTokenMs = r.TimeToFirstTokenMs >= 0 ? r.TimeToFirstTokenMs : null,
            });
        }
    }

    private void FoldFailed(in IngressRecord r)
    {
        var provider = r.Provider is null ? ResolveModel(r.Model!).Provider : CanonicalProvider(r.Provider);
        Accumulator(StatsDimension.Model, r.Model!).AddFailed(r);
        Accumulator(StatsDimension.Provider, provider).AddFailed(r);
        if (r.AgentId is not null) Accumulator(StatsDimension.Agent, r.AgentId).AddFailed(r);
        _totals.AddFailed(r);

        if (_recorder.Taps.Length > 0)
        {
            Emit(new LlmRequestFailed
            {
                EventId = r.EventId ?? NewEventId(),
                TimestampMs = Stamp(r.TimestampMs),
                AgentId = r.AgentId,
                Model = r.Model!,
                Provider = provider,
                ProviderId = r.ProviderId,
                ErrorCode = r.ErrorCode,
                ErrorMessage = r.ErrorMessage,
                DurationMs = r.DurationMs >= 0 ? r.DurationMs : null,
            });
        }
    }

    private void EmitStop(in IngressRecord r)
    {
        _routerStops++;
        Emit(new RouterStopped
        {
            EventId = r.EventId ?? NewEventId(),
            TimestampMs = Stamp(r.TimestampMs),
            AgentId = r.AgentId,
            TotalRequests = _totals.Requests,
            TotalCostMicros = _totals.Cost,
        });
    }

    private void Emit(AnalyticsEvent e)
    {
        var taps = _recorder.Taps;
        if (taps.Length == 0) return;
        if (e.EventId is null || e.TimestampMs == 0)
            e = e with { EventId = e.EventId ?? NewEventId(), TimestampMs = Stamp(e.TimestampMs) };
        foreach (var tap in taps) tap.Offer(e);
    }

    private long Stamp(long timestampMs) => timestampMs != 0 ? timestampMs : _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static string NewEventId() => Guid.NewGuid().ToString("D");

    private RowAccumulator Accumulator(StatsDimension dimension, string key)
    {
        var map = _batch[(int)dimension];
        if (!map.TryGetValue(key, out var acc))
        {
            acc = new RowAccumulator();
            map.Add(key, acc);
        }
        return acc;
    }

    private ModelInfo ResolveModel(string model)
    {
        if (_models.TryGetValue(model, out var info)) return info;
        if (_models.Count >= MaxMemoisedModels) _models.Clear(); // bounded even under a flood of distinct garbage names
        ModelPrice? price;
        try
        {
            if (!_catalog.TryGetPrice(model, out price)) price = null;
        }
        catch (Exception e)
        {
            // A user-supplied catalog that throws must not restart the pump (and lose every running total):
            // the model is treated as unpriced, which is counted and warned about.
            _log.Error(e, "Price catalog {Catalog} failed for model {Model}; the model is treated as unpriced", _catalog.GetType().Name, model);
            price = null;
        }
        info = price is not null
            ? new ModelInfo(ProviderInference.Canonical(price.Provider), price)
            : new ModelInfo(ProviderInference.Infer(model), null);
        _models.Add(model, info);
        return info;
    }

    private string CanonicalProvider(string provider)
    {
        if (_providers.TryGetValue(provider, out var canonical)) return canonical;
        canonical = ProviderInference.Canonical(provider);
        if (_providers.Count < MaxMemoisedModels) _providers.Add(provider, canonical);
        return canonical;
    }

    private void WarnUnpriced(string model)
    {
        if (_warnedUnpriced.Count < MaxMemoisedModels && _warnedUnpriced.Add(model))
            _log.Warning("Model {Model} has no price: its requests cost 0 and count as unpriced_requests. Add it under Analytics:Pricing:Overrides.", model);
    }

    private void FlushBatch()
    {
        if (!_batchDirty) return;
        _batchDirty = false;
        for (var d = 0; d < _batch.Length; d++)
        {
            var map = _batch[d];
            if (map.Count == 0) continue;
            foreach (var (key, acc) in map)
            {
                Child((StatsDimension)d, key).Tell(new AggregatorActor.Fold(acc.ToRow()));
                _outstandingFolds++;
            }
            map.Clear();
        }
        _recorder.PublishFolded(_totals.ToRow(), _folded);
    }

    private IActorRef Child(StatsDimension dimension, string key)
    {
        var children = _children[(int)dimension];
        if (!children.TryGetValue(key, out var child))
        {
            // Keys are arbitrary caller strings, so actor names use a counter rather than the key.
            child = Context.ActorOf(AggregatorActor.CreateProps(dimension, key), $"{dimension.ToString().ToLowerInvariant()}-{++_childCount}");
            children.Add(key, child);
        }
        return child;
    }

    private UsageStats Snapshot()
    {
        var accepted = _recorder.AcceptedCount;
        long subscriberDropped = 0;
        foreach (var tap in _recorder.Taps)
        {
            if (tap.IsSubscription) subscriberDropped += tap.Dropped;
        }
        return new UsageStats
        {
            Totals = _totals.ToRow(),
            ByModel = _views[(int)StatsDimension.Model].ToImmutable(),
            ByProvider = _views[(int)StatsDimension.Provider].ToImmutable(),
            ByAgent = _views[(int)StatsDimension.Agent].ToImmutable(),
            // The pump is the only consumer, so Folded is exactly what left the ring: Pending is exact too.
            Ingress = new IngressCounters(accepted, _recorder.DroppedCount, _recorder.RejectedCount, _folded, Math.Max(0, accepted - _folded), subscriberDropped),
            Lifecycle = new LifecycleCounters(_budgetEvents, _routerStarts, _routerStops),
            Sync = _syncCounters?.Invoke(),
            AsOf = _time.GetUtcNow(),
        };
    }

    private static Dictionary<string, T>[] NewMaps<T>() =>
        [new(StringComparer.Ordinal), new(StringComparer.Ordinal), new(StringComparer.Ordinal)];

    private sealed record ModelInfo(string Provider, ModelPrice? Price);

    private sealed class Wake
    {
        public static readonly Wake Instance = new();
    }

    private sealed class DrainTick
    {
        public static readonly DrainTick Instance = new();
    }
}
