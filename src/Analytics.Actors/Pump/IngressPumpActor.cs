using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Analytics.Actors.Aggregation;
using Analytics.Actors.Ingress;
using Analytics.Actors.Metrics;
using Analytics.Actors.Pricing;
using Analytics.Contracts;

namespace Analytics.Actors.Pump;

/// <summary>
/// The single consumer of the ingress ring and the coordinator of the stats. It drains the ring in batches (woken by its
/// <see cref="PumpPoller"/>, or by a producer whose part of the ring is filling up), prices each event
/// (<see cref="ModelPriceMemo"/>), sums the batch per key (<see cref="UsageFold"/>) and hands it to its three
/// <see cref="AggregatorActor"/> children (per model, per provider, per agent), which own the rows; it hands materialised
/// events to the taps (<see cref="EventMaterializer"/>), and answers <see cref="UsageQueries.GetStats"/> with
/// read-your-writes from the aggregators' reports.
/// </summary>
/// <remarks>
/// <para>By default it runs on a thread of its own (<see cref="PumpThreadMode.Dedicated"/>, an Akka PinnedDispatcher) and
/// its aggregators on a dispatcher of their own (<see cref="AggregatorDispatcher"/>), so producers that hold every
/// thread-pool thread cannot stop it from draining the ring or answering stats.</para>
/// <para>An Ask is answered once each aggregator reported on everything handed to it before the Ask, with the totals as
/// they were then (the pump keeps them), so the totals always equal the sum of each breakdown. While an Ask waits the pump
/// drains nothing more: under sustained load, more folds would only give the aggregators more to do before the answer.</para>
/// <para>An aggregator that fails fails the pump (it escalates): a restarted aggregator would have lost its rows while the
/// pump kept the totals.</para>
/// </remarks>
internal sealed class IngressPumpActor : UntypedActor
{
    /// <summary>The stock PinnedDispatcher every actor system has (a new thread per actor that uses it).</summary>
    internal const string DedicatedDispatcherId = "akka.io.pinned-dispatcher";

    private const int MaxRememberedNames = 100_000;

    private readonly UsageRecorder _recorder;
    private readonly AnalyticsOptions _options;
    private readonly TimeProvider _time;
    private readonly Func<SyncCounters?>? _syncCounters;
    private readonly ModelPriceMemo _prices;
    private readonly EventMaterializer _materializer;
    private readonly UsageFold _fold;
    private readonly MeterHandOff _meter;
    private readonly Dictionary<string, ModelEntry> _models = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (BatchKey Row, string Name)> _suppliedProviders = new(StringComparer.Ordinal);
    private readonly List<IngressRecord> _deferredStops = [];
    private readonly Queue<PendingStats> _pendingStats = new();
    private AggregatorLinks _aggregators = null!;
    private PumpPoller? _poller;
    private bool _drainDeferred;
    private int _firstShard;
    private long _folded;
    private long _published = -1;
    private long _budgetEvents, _routerStarts, _routerStops;

    public IngressPumpActor(UsageRecorder recorder, IPriceCatalog catalog, AnalyticsOptions options, TimeProvider time, Func<SyncCounters?>? syncCounters)
    {
        _recorder = recorder;
        _options = options;
        _time = time;
        _syncCounters = syncCounters;
        _prices = new ModelPriceMemo(catalog, Context.GetLogger());
        _materializer = new EventMaterializer(time);
        _meter = new MeterHandOff(recorder.MeterFeeds);
        var log = Context.GetLogger();
        _fold = new UsageFold(options.MaxKeysPerBreakdown, dimension => log.Warning(
            "The {Dimension} breakdown holds {MaxKeys} keys ({Setting}): events of further new keys are counted under {OverflowKey}",
            dimension.ToString().ToLowerInvariant(), options.MaxKeysPerBreakdown, $"{AnalyticsOptions.SectionName}:MaxKeysPerBreakdown", UsageFold.OverflowKey));
    }

    /// <summary>Props for the pump, on its own thread unless <see cref="AnalyticsOptions.PumpThread"/> says otherwise.</summary>
    /// <param name="recorder">The recorder whose ring this pump drains.</param>
    /// <param name="catalog">Prices.</param>
    /// <param name="options">Options (batch size, poll periods, wake mark, pump thread).</param>
    /// <param name="time">Clock used to stamp events recorded without a timestamp.</param>
    /// <param name="syncCounters">Reads the sync pipeline's counters for the stats; null when sync is off.</param>
    public static Props CreateProps(UsageRecorder recorder, IPriceCatalog catalog, AnalyticsOptions options, TimeProvider? time = null, Func<SyncCounters?>? syncCounters = null)
    {
        var props = Props.Create(() => new IngressPumpActor(recorder, catalog, options, time ?? TimeProvider.System, syncCounters));
        return options.PumpThread == PumpThreadMode.Dedicated ? props.WithDispatcher(DedicatedDispatcherId) : props;
    }

    /// <summary>
    /// Shutdown: stop intake (every later record call is refused and counted) and drain everything accepted before, so
    /// the taps (sync, store) have it all before they flush. Idempotent; answered with <see cref="Drained"/>.
    /// </summary>
    public sealed record DrainAll
    {
        /// <summary>The one instance.</summary>
        public static readonly DrainAll Instance = new();

        private DrainAll() { }
    }

    /// <summary>The answer to <see cref="DrainAll"/>.</summary>
    /// <param name="Folded">Events folded since the pump started.</param>
    public sealed record Drained(long Folded);

    /// <inheritdoc />
    protected override void PreStart()
    {
        var dispatcher = _options.PumpThread == PumpThreadMode.Dedicated ? AggregatorDispatcher.Ensure(Context.System) : null;
        _aggregators = AggregatorLinks.Start(Context, dispatcher);
        var self = Self;
        _recorder.Signal.Attach(() => self.Tell(Wake.Instance), _options.WakeFillPercent);
        _poller = new PumpPoller(_recorder.Buffer, _recorder.Signal, _options.PollInterval, _options.DrainInterval, $"usage-analytics-poller-{Self.Path.Name}");
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        _poller?.Dispose();
        _recorder.Signal.Detach();
    }

    /// <inheritdoc />
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Escalate);

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Wake:
                // While an Ask waits for reports, or an aggregator is far behind, draining more would only give the
                // aggregators more to do first. The ring holds what arrives meanwhile (or counts it as dropped when full).
                if (_pendingStats.Count > 0) _drainDeferred = true;
                else if (_aggregators.Throttled)
                {
                    // Its report says when it caught up (OnReport wakes the drain again).
                    _aggregators.RequestReports(Self);
                    _drainDeferred = true;
                }
                else DrainSome();
                break;
            case UsageQueries.GetStats:
                DrainToTails(report: true);
                AnswerOrWait(Sender);
                break;
            case AggregatorActor.Folded report:
                OnReport(report);
                break;
            case DrainAll:
                _recorder.MarkStopped();
                DrainToTails(report: false);
                Sender.Tell(new Drained(_folded));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>
    /// Answers at once when every aggregator already reported on all it was sent; otherwise asks for the missing reports
    /// and answers when they come, with the totals and counters as they are now.
    /// </summary>
    private void AnswerOrWait(IActorRef asker)
    {
        var stats = Snapshot();
        var needed = _aggregators.RequestReports(Self);
        var pending = new PendingStats(asker, stats, needed);
        for (var d = 0; d < needed.Length; d++)
        {
            var latest = _aggregators.Latest((StatsDimension)d);
            if (latest.Sequence == needed[d]) pending.Reports[d] = latest;
        }
        if (_pendingStats.Count == 0 && pending.Complete) asker.Tell(pending.Answer());
        else _pendingStats.Enqueue(pending);
    }

    private void OnReport(AggregatorActor.Folded report)
    {
        _aggregators.Record(report);
        var d = (int)report.Dimension;
        foreach (var pending in _pendingStats)
        {
            if (pending.Needed[d] == report.Sequence) pending.Reports[d] = report;
        }
        // Answered in the order they came: each one's snapshot was taken when it arrived.
        while (_pendingStats.TryPeek(out var first) && first.Complete)
        {
            _pendingStats.Dequeue();
            first.Asker.Tell(first.Answer());
        }
        if (_drainDeferred && _pendingStats.Count == 0 && !_aggregators.Throttled)
        {
            _drainDeferred = false;
            Self.Tell(Wake.Instance);
        }
    }

    private void DrainSome()
    {
        _prices.Refresh();
        _meter.Begin();
        var sink = new Sink(this);
        var shards = _recorder.Buffer.Shards;
        var budget = _options.DrainBatchSize;
        // Start one shard further each time, so that a batch that runs out of budget does not always leave the same ones.
        for (var i = 0; i < shards.Length && budget > 0; i++)
        {
            var shard = shards[(_firstShard + i) % shards.Length];
            budget -= shard.Drain(ref sink, shard.TailSnapshot(), budget, wait: false);
        }
        _firstShard = (_firstShard + 1) % shards.Length;
        if (_deferredStops.Count > 0) EmitDeferredStops();
        FinishBatch(report: false);
        // A full batch means more is probably waiting: continue through the mailbox so queries interleave.
        if (budget == 0 || _recorder.Signal.GoIdle()) Self.Tell(Wake.Instance);
    }

    /// <summary>
    /// Drains each shard up to its tail as seen on entry, waiting out slots a producer has claimed but not finished
    /// writing: this is what makes a stats Ask see every write that returned before it was sent. It stops at that tail,
    /// so an Ask under sustained load does a bounded amount of work.
    /// </summary>
    private void DrainToTails(bool report)
    {
        _prices.Refresh();
        _meter.Begin();
        DrainEverythingToTails();
        EmitDeferredStops();
        FinishBatch(report);
    }

    private void EmitDeferredStops()
    {
        while (_deferredStops.Count > 0)
        {
            // A stop's totals must include writes that returned before the stop was recorded, which may sit in a shard
            // this pass had already left: drain every shard to its tail once more before stamping them.
            var stops = _deferredStops.ToArray();
            _deferredStops.Clear();
            DrainEverythingToTails();
            foreach (var stop in stops)
            {
                _routerStops++;
                Emit(stop, default);
            }
        }
    }

    private void DrainEverythingToTails()
    {
        var sink = new Sink(this);
        foreach (var shard in _recorder.Buffer.Shards) shard.Drain(ref sink, shard.TailSnapshot(), int.MaxValue, wait: true);
    }

    private void Fold(in IngressRecord r)
    {
        _folded++;
        switch (r.Kind)
        {
            case AnalyticsEventKind.LlmRequestCompleted:
            {
                var model = Model(r.Model!);
                var (provider, providerName) = r.Provider is null ? (model.Provider, model.Info.Provider) : SuppliedProvider(r.Provider);
                var (cost, unpriced) = _prices.Cost(r, model.Info);
                var counters = UsageCounters.ForCompleted(r.Usage, cost, unpriced, r.Duration, r.TimeToFirstToken);
                _fold.Add(model.Row, provider, Agent(r.AgentId), new FoldedRequest(in counters, r.Duration, r.TimeToFirstToken));
                if (_fold.Full) HandOver(report: false);
                // The provider's name, not its row's key: past the key cap that is the overflow row, and the ledger, sync
                // and the meter must still see which provider served the request.
                if (_meter.Active) Sample(r, providerName, cost, unpriced);
                Emit(r, new PricedRequest(providerName, cost, unpriced));
                break;
            }
            case AnalyticsEventKind.LlmRequestFailed:
            {
                var model = Model(r.Model!);
                var (provider, providerName) = r.Provider is null ? (model.Provider, model.Info.Provider) : SuppliedProvider(r.Provider);
                var counters = UsageCounters.ForFailed(r.Duration);
                _fold.Add(model.Row, provider, Agent(r.AgentId), new FoldedRequest(in counters, r.Duration, null));
                if (_fold.Full) HandOver(report: false);
                if (_meter.Active) Sample(r, providerName, 0, false);
                Emit(r, new PricedRequest(providerName, 0, false));
                break;
            }
            case AnalyticsEventKind.BudgetThresholdReached:
                _budgetEvents++;
                Emit(r, default);
                break;
            case AnalyticsEventKind.RouterStarted:
                _routerStarts++;
                Emit(r, default);
                break;
            case AnalyticsEventKind.RouterStopped when r.Prebuilt is null:
                _deferredStops.Add(r);
                break;
            case AnalyticsEventKind.RouterStopped:
                _routerStops++;
                Emit(r, default);
                break;
        }
    }

    /// <summary>
    /// The model's entry: its row, its price and its catalog provider's row, found with one lookup of the model string
    /// (the price is resolved again only when the catalog changed).
    /// </summary>
    private ModelEntry Model(string model)
    {
        if (_models.TryGetValue(model, out var entry))
        {
            if (entry.Version != _prices.Version) Resolve(entry);
            return entry;
        }
        entry = new ModelEntry(model, _fold.Key(StatsDimension.Model, model));
        Resolve(entry);
        // Bounded like the price memo: a flood of distinct names (folded into the overflow row past the key cap) is
        // resolved every time instead of remembered.
        if (_models.Count < MaxRememberedNames) _models.Add(model, entry);
        return entry;
    }

    private void Resolve(ModelEntry entry)
    {
        // The model as recorded, not its row's key: past the key cap that is the overflow row.
        entry.Info = _prices.Resolve(entry.Model);
        entry.Version = _prices.Version;
        entry.Provider = _fold.Key(StatsDimension.Provider, entry.Info.Provider);
    }

    /// <summary>The row and canonical name of a provider the caller named (normalised once per distinct spelling).</summary>
    private (BatchKey Row, string Name) SuppliedProvider(string provider)
    {
        if (_suppliedProviders.TryGetValue(provider, out var known)) return known;
        var name = _prices.Canonical(provider);
        var entry = (_fold.Key(StatsDimension.Provider, name), name);
        // Bounded like the price memo: a flood of distinct spellings is normalised every time instead of remembered.
        if (_suppliedProviders.Count < MaxRememberedNames) _suppliedProviders.Add(provider, entry);
        return entry;
    }

    private BatchKey? Agent(string? agent) => agent is null ? null : _fold.Key(StatsDimension.Agent, agent);

    /// <summary>The meters' record of a completed or failed request, written in place into the batch's buffer.</summary>
    private void Sample(in IngressRecord r, string provider, long cost, bool unpriced)
    {
        ref var s = ref _meter.Add();
        s.Model = r.Model!;
        s.Provider = provider;
        s.Agent = r.AgentId;
        s.Failed = r.Kind == AnalyticsEventKind.LlmRequestFailed;
        s.ErrorCode = r.ErrorCode;
        s.Unpriced = unpriced;
        s.InputTokens = r.InputTokens;
        s.OutputTokens = r.OutputTokens;
        s.CacheReadTokens = r.CacheReadTokens;
        s.CacheWriteTokens = r.CacheCreationTokens;
        s.ReasoningTokens = r.ReasoningTokens;
        s.CostMicros = cost;
        // The ring's "not measured" is -1 too.
        s.DurationMs = r.DurationMs;
        s.TimeToFirstTokenMs = r.TimeToFirstTokenMs;
        s.TimestampMs = _meter.Timestamps ? _materializer.TimestampOf(r) : 0;
    }

    /// <summary>Hands the event to every tap; materialised only when someone listens.</summary>
    private void Emit(in IngressRecord r, in PricedRequest priced)
    {
        var taps = _recorder.Taps.Current;
        if (taps.Length == 0) return;
        var e = _materializer.Materialize(r, priced, _fold.Totals);
        foreach (var tap in taps) tap.Offer(e);
    }

    /// <summary>Hands the batch to the aggregators (asking for reports when an Ask waits) and publishes the totals.</summary>
    private void FinishBatch(bool report)
    {
        HandOver(report);
        _meter.HandOver();
        if (_folded == _published) return;
        _published = _folded;
        _recorder.PublishFolded(new UsageRow(_fold.Totals), _folded);
    }

    /// <summary>Hands what the batch holds to the aggregators (also mid-drain, when it is <see cref="UsageFold.Full"/>).</summary>
    private void HandOver(bool report)
    {
        if (_fold.TakeBatch() is { } batch) _aggregators.Send(batch, report, Self);
    }

    /// <summary>Everything the pump itself knows now; the breakdowns are filled in from the aggregators' reports.</summary>
    private UsageStats Snapshot()
    {
        var accepted = _recorder.AcceptedCount;
        long subscriberDropped = 0;
        foreach (var tap in _recorder.Taps.Current)
        {
            if (tap.IsSubscription) subscriberDropped += tap.Dropped;
        }
        return new UsageStats
        {
            Totals = new UsageRow(_fold.Totals),
            ByModel = ImmutableDictionary<string, UsageRow>.Empty,
            ByProvider = ImmutableDictionary<string, UsageRow>.Empty,
            ByAgent = ImmutableDictionary<string, UsageRow>.Empty,
            // The pump is the only consumer, so Folded is exactly what left the ring: Pending is exact too.
            Ingress = new IngressCounters(accepted, _recorder.DroppedCount, _recorder.RejectedCount, _folded, Math.Max(0, accepted - _folded), subscriberDropped),
            Lifecycle = new LifecycleCounters(_budgetEvents, _routerStarts, _routerStops),
            Sync = _syncCounters?.Invoke(),
            AsOf = _time.GetUtcNow(),
        };
    }

    /// <summary>A stats Ask waiting for the aggregators' reports, with what the pump knew when it arrived.</summary>
    private sealed class PendingStats(IActorRef asker, UsageStats stats, long[] needed)
    {
        public IActorRef Asker { get; } = asker;

        /// <summary>Per breakdown, the fold whose report the answer needs: the last one sent before the Ask.</summary>
        public long[] Needed { get; } = needed;

        public AggregatorActor.Folded?[] Reports { get; } = new AggregatorActor.Folded?[needed.Length];

        public bool Complete => Array.TrueForAll(Reports, r => r is not null);

        public UsageStats Answer() => stats with
        {
            // Every request has one model, so the model aggregator's report carries the totals' percentiles.
            Totals = stats.Totals with
            {
                DurationMsPercentiles = Reports[(int)StatsDimension.Model]!.TotalDurations,
                TimeToFirstTokenMsPercentiles = Reports[(int)StatsDimension.Model]!.TotalTimesToFirstToken,
            },
            ByModel = Reports[(int)StatsDimension.Model]!.View,
            ByProvider = Reports[(int)StatsDimension.Provider]!.View,
            ByAgent = Reports[(int)StatsDimension.Agent]!.View,
        };
    }

    /// <summary>What the pump keeps per model string.</summary>
    private sealed class ModelEntry(string model, BatchKey row)
    {
        public string Model { get; } = model;

        public BatchKey Row { get; } = row;

        public ModelInfo Info { get; set; } = null!;

        public long Version { get; set; }

        /// <summary>The row of <see cref="ModelInfo.Provider"/>, for events that name no provider.</summary>
        public BatchKey Provider { get; set; } = null!;
    }

    /// <summary>The drain loops call back into the pump through this struct, so their loop is specialised for it.</summary>
    private readonly struct Sink(IngressPumpActor pump) : IIngressSink
    {
        public void Fold(in IngressRecord record) => pump.Fold(record);
    }

    private sealed class Wake
    {
        public static readonly Wake Instance = new();
    }
}
