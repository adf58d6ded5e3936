using Akka.Actor;
using Akka.Event;
using Analytics.Actors.Aggregation;
using Analytics.Actors.Ingress;
using Analytics.Actors.Pricing;
using Analytics.Contracts;

namespace Analytics.Actors.Pump;

/// <summary>
/// The single consumer of the ingress ring and the coordinator of the stats. It drains the ring in batches (woken by
/// the first write after it went idle, plus a safety timer), prices each event (<see cref="ModelPriceMemo"/>), folds
/// the batch per key into the aggregators (<see cref="BatchFolder"/>), hands materialised events to the taps
/// (<see cref="EventMaterializer"/>), and answers <see cref="UsageQueries.GetStats"/> with read-your-writes.
/// </summary>
internal sealed class IngressPumpActor : UntypedActor, IWithTimers
{
    private readonly UsageRecorder _recorder;
    private readonly AnalyticsOptions _options;
    private readonly TimeProvider _time;
    private readonly Func<SyncCounters?>? _syncCounters;
    private readonly ModelPriceMemo _prices;
    private readonly EventMaterializer _materializer;
    private readonly BatchFolder _folder;
    private readonly List<IActorRef> _waitingForStats = [];
    private readonly List<IngressRecord> _deferredStops = [];
    private long _folded;
    private long _budgetEvents, _routerStarts, _routerStops;
    private bool _drainDeferred;

    public IngressPumpActor(UsageRecorder recorder, IPriceCatalog catalog, AnalyticsOptions options, TimeProvider time, Func<SyncCounters?>? syncCounters)
    {
        _recorder = recorder;
        _options = options;
        _time = time;
        _syncCounters = syncCounters;
        _prices = new ModelPriceMemo(catalog, Context.GetLogger());
        _materializer = new EventMaterializer(time);
        _folder = new BatchFolder(options.MaxKeysPerBreakdown, Context.GetLogger());
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for the pump.</summary>
    /// <param name="recorder">The recorder whose ring this pump drains.</param>
    /// <param name="catalog">Prices.</param>
    /// <param name="options">Options (drain batch size and interval).</param>
    /// <param name="time">Clock used to stamp events recorded without a timestamp.</param>
    /// <param name="syncCounters">Reads the sync pipeline's counters for the stats; null when sync is off.</param>
    public static Props CreateProps(UsageRecorder recorder, IPriceCatalog catalog, AnalyticsOptions options, TimeProvider? time = null, Func<SyncCounters?>? syncCounters = null)
        => Props.Create(() => new IngressPumpActor(recorder, catalog, options, time ?? TimeProvider.System, syncCounters));

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
        var self = Self;
        Timers.StartPeriodicTimer("drain", DrainTick.Instance, _options.DrainInterval);
        _recorder.Signal.Attach(() => self.Tell(Wake.Instance));
    }

    /// <inheritdoc />
    protected override void PostStop() => _recorder.Signal.Detach();

    /// <inheritdoc />
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Wake or DrainTick:
                // While an Ask waits for the aggregators to acknowledge what was folded before it, folding more would
                // send more folds to wait for: under sustained load the Ask would never be answered. The ring holds
                // what arrives meanwhile (or counts it as dropped when full); draining resumes right after the reply.
                if (_waitingForStats.Count > 0) _drainDeferred = true;
                else DrainSome();
                break;
            case UsageQueries.GetStats:
                DrainToTails();
                if (_folder.Settled) Sender.Tell(Snapshot());
                else _waitingForStats.Add(Sender);
                break;
            case DrainAll:
                _recorder.MarkStopped();
                DrainToTails();
                Sender.Tell(new Drained(_folded));
                break;
            case AggregatorActor.Folded folded:
                if (_folder.Acknowledge(folded) && _waitingForStats.Count > 0)
                {
                    var stats = Snapshot();
                    foreach (var asker in _waitingForStats) asker.Tell(stats);
                    _waitingForStats.Clear();
                    if (_drainDeferred)
                    {
                        _drainDeferred = false;
                        Self.Tell(Wake.Instance);
                    }
                }
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void DrainSome()
    {
        _prices.Refresh();
        var drained = 0;
        foreach (var shard in _recorder.Buffer.Shards)
        {
            while (drained < _options.DrainBatchSize && shard.TryRead(out var record))
            {
                Fold(record);
                drained++;
            }
        }
        if (_deferredStops.Count > 0) EmitDeferredStops();
        FinishBatch();
        // A full batch means more is probably waiting: continue through the mailbox so queries interleave.
        if (drained >= _options.DrainBatchSize || _recorder.Signal.GoIdle()) Self.Tell(Wake.Instance);
    }

    /// <summary>
    /// Drains each shard up to its tail as seen on entry, waiting out slots a producer has claimed but not finished
    /// writing: this is what makes a stats Ask see every write that returned before it was sent. It stops at that tail,
    /// so an Ask under sustained load does a bounded amount of work.
    /// </summary>
    private void DrainToTails()
    {
        _prices.Refresh();
        DrainShardsToTails();
        EmitDeferredStops();
        FinishBatch();
    }

    private void EmitDeferredStops()
    {
        while (_deferredStops.Count > 0)
        {
            // A stop's totals must include writes that returned before the stop was recorded, which may sit in a shard
            // this pass had already left: drain every shard to its tail once more before stamping them.
            var stops = _deferredStops.ToArray();
            _deferredStops.Clear();
            DrainShardsToTails();
            foreach (var stop in stops)
            {
                _routerStops++;
                Emit(stop, default);
            }
        }
    }

    private void DrainShardsToTails()
    {
        foreach (var shard in _recorder.Buffer.Shards)
        {
            var target = shard.TailSnapshot();
            var spin = new SpinWait();
            while (shard.Consumed < target)
            {
                if (shard.TryRead(out var record)) Fold(record);
                else spin.SpinOnce();
            }
        }
    }

    private void Fold(in IngressRecord r)
    {
        _folded++;
        switch (r.Kind)
        {
            case AnalyticsEventKind.LlmRequestCompleted:
            {
                var priced = _prices.PriceCompleted(r);
                var delta = UsageCounters.ForCompleted(r.Usage, priced.CostMicros, priced.Unpriced, r.Duration, r.TimeToFirstToken);
                _folder.Add(r.Model!, priced.Provider, r.AgentId, delta);
                Emit(r, priced);
                break;
            }
            case AnalyticsEventKind.LlmRequestFailed:
            {
                var priced = _prices.PriceFailed(r);
                _folder.Add(r.Model!, priced.Provider, r.AgentId, UsageCounters.ForFailed(r.Duration));
                Emit(r, priced);
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

    /// <summary>Hands the event to every tap; materialised only when someone listens.</summary>
    private void Emit(in IngressRecord r, in PricedRequest priced)
    {
        var taps = _recorder.Taps.Current;
        if (taps.Length == 0) return;
        var e = _materializer.Materialize(r, priced, _folder.Totals);
        foreach (var tap in taps) tap.Offer(e);
    }

    private void FinishBatch()
    {
        if (_folder.Flush(Context)) _recorder.PublishFolded(new UsageRow(_folder.Totals), _folded);
    }

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
            Totals = new UsageRow(_folder.Totals),
            ByModel = _folder.View(StatsDimension.Model),
            ByProvider = _folder.View(StatsDimension.Provider),
            ByAgent = _folder.View(StatsDimension.Agent),
            // The pump is the only consumer, so Folded is exactly what left the ring: Pending is exact too.
            Ingress = new IngressCounters(accepted, _recorder.DroppedCount, _recorder.RejectedCount, _folded, Math.Max(0, accepted - _folded), subscriberDropped),
            Lifecycle = new LifecycleCounters(_budgetEvents, _routerStarts, _routerStops),
            Sync = _syncCounters?.Invoke(),
            AsOf = _time.GetUtcNow(),
        };
    }

    private sealed class Wake
    {
        public static readonly Wake Instance = new();
    }

    private sealed class DrainTick
    {
        public static readonly DrainTick Instance = new();
    }
}
