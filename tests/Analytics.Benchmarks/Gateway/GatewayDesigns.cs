using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using System.Runtime.InteropServices;
using Akka.Actor;
using Analytics.Actors.Pricing;
using Analytics.Benchmarks.Infrastructure;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Analytics.Benchmarks.Gateway;

/// <summary>
/// A design for a gateway's usage bookkeeping, doing the same work as ours: price each request from the embedded
/// catalog, find its provider, and keep requests, tokens, cost and timings per model, per provider, per agent and in
/// total (the counters of <see cref="UsageCounters"/>), with its natural consumer running.
/// </summary>
internal abstract class GatewayDesign : IDisposable
{
    protected static readonly PriceTable Catalog = PriceTable.Embedded;

    /// <summary>Records one request on the caller's thread. Every design accepts every request (none may drop).</summary>
    public abstract void Record(in GatewayRequest r);

    /// <summary>A stats read that includes every request recorded before the call; returns the total requests it shows.</summary>
    public abstract long ReadRequests();

    /// <summary>Requests dropped so far (must stay 0).</summary>
    public virtual long Dropped => 0;

    public virtual void Dispose() { }

    /// <summary>Prices on the caller's thread, as the in-line designs must: a catalog lookup and the cost formula.</summary>
    internal static (string Provider, UsageCounters Counters) Price(in GatewayRequest r)
    {
        var usage = new TokenUsage(r.InputTokens, r.OutputTokens, r.CacheReadTokens);
        return Catalog.TryGetPrice(r.Model, out var price)
            ? (price.Provider, UsageCounters.ForCompleted(usage, CostCalculator.Compute(price, usage), false, r.DurationMs, r.TimeToFirstTokenMs))
            : ("unknown", UsageCounters.ForCompleted(usage, 0, true, r.DurationMs, r.TimeToFirstTokenMs));
    }

    public static GatewayDesign Create(string name, bool waitWhenFull) => name switch
    {
        "Ours" => new OursDesign(waitWhenFull),
        "LockDictionary" => new LockDesign(),
        "ConcurrentDictionary" => new ConcurrentDictionaryDesign(),
        "AkkaTellPerEvent" => new TellDesign(),
        "OpenTelemetry" => new OpenTelemetryDesign(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown design"),
    };
}

/// <summary>
/// Ours as a host runs it: the default recorder (10,000 slots) and the real pump with default options (its own thread,
/// the poller) pricing from the embedded catalog. Saturation waits (spins) when the ring is full, as a producer that
/// must not drop does; the offered-load run uses plain <c>RecordCompleted</c>, and any drop fails the run.
/// </summary>
internal sealed class OursDesign : GatewayDesign
{
    private readonly ActorSystem _system = ActorSystem.Create("ours", Hocon.Quiet);
    private readonly UsageRecorder _recorder = new();
    private readonly IActorRef _pump;
    private readonly bool _waitWhenFull;

    /// <param name="waitWhenFull">Spin until accepted (saturation) rather than record and let a full ring drop.</param>
    public OursDesign(bool waitWhenFull)
    {
        _waitWhenFull = waitWhenFull;
        _pump = _system.ActorOf(IngressPumpActor.CreateProps(_recorder, Catalog, new AnalyticsOptions()), "usage-analytics");
    }

    public override void Record(in GatewayRequest r)
    {
        if (_waitWhenFull)
        {
            if (!_recorder.TryRecordCompleted(r.Model, new TokenUsage(r.InputTokens, r.OutputTokens, r.CacheReadTokens), new RequestAttribution { AgentId = r.Agent },
                    new RequestTiming { DurationMs = r.DurationMs, TimeToFirstTokenMs = r.TimeToFirstTokenMs }))
                RetryUntilAccepted(r);
        }
        else
        {
            _recorder.RecordCompleted(r.Model, new TokenUsage(r.InputTokens, r.OutputTokens, r.CacheReadTokens), new RequestAttribution { AgentId = r.Agent },
                new RequestTiming { DurationMs = r.DurationMs, TimeToFirstTokenMs = r.TimeToFirstTokenMs });
        }
    }

    public override long ReadRequests()
    {
        var stats = _pump.Ask<UsageStats>(UsageQueries.GetStats.Instance, TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
        return stats.Totals.Requests;
    }

    public override long Dropped => _recorder.DroppedCount + _recorder.RejectedCount;

    public override void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    private void RetryUntilAccepted(in GatewayRequest r)
    {
        var spin = new SpinWait();
        do spin.SpinOnce(sleep1Threshold: -1);
        while (!_recorder.TryRecordCompleted(r.Model, new TokenUsage(r.InputTokens, r.OutputTokens, r.CacheReadTokens), new RequestAttribution { AgentId = r.Agent },
                   new RequestTiming { DurationMs = r.DurationMs, TimeToFirstTokenMs = r.TimeToFirstTokenMs }));
    }
}

/// <summary>The simplest thing that works: price outside, then one <see cref="Lock"/> around four kinds of rows.</summary>
internal sealed class LockDesign : GatewayDesign
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, UsageCounters> _byModel = new(StringComparer.Ordinal);
    private readonly Dictionary<string, UsageCounters> _byProvider = new(StringComparer.Ordinal);
    private readonly Dictionary<string, UsageCounters> _byAgent = new(StringComparer.Ordinal);
    private UsageCounters _totals;

    public override void Record(in GatewayRequest r)
    {
        var (provider, counters) = Price(r);
        lock (_gate)
        {
            _totals.Add(counters);
            CollectionsMarshal.GetValueRefOrAddDefault(_byModel, r.Model, out _).Add(counters);
            CollectionsMarshal.GetValueRefOrAddDefault(_byProvider, provider, out _).Add(counters);
            CollectionsMarshal.GetValueRefOrAddDefault(_byAgent, r.Agent, out _).Add(counters);
        }
    }

    /// <summary>An immutable snapshot taken under the lock, as a stats endpoint must hand out.</summary>
    public override long ReadRequests()
    {
        lock (_gate)
        {
            var models = _byModel.ToImmutableDictionary(kv => kv.Key, kv => new UsageRow(kv.Value));
            GC.KeepAlive(_byProvider.ToImmutableDictionary(kv => kv.Key, kv => new UsageRow(kv.Value)));
            GC.KeepAlive(_byAgent.ToImmutableDictionary(kv => kv.Key, kv => new UsageRow(kv.Value)));
            return models.Values.Sum(row => row.Requests) == _totals[UsageCounter.Requests] ? _totals[UsageCounter.Requests] : -1;
        }
    }
}

/// <summary>
/// The reference crate's design: concurrent maps of rows whose counters are updated with <see cref="Interlocked"/>
/// (only the counters the request changes), on the caller's thread.
/// </summary>
internal sealed class ConcurrentDictionaryDesign : GatewayDesign
{
    private readonly AtomicRow _totals = new();
    private readonly ConcurrentDictionary<string, AtomicRow> _byModel = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AtomicRow> _byProvider = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AtomicRow> _byAgent = new(StringComparer.Ordinal);

    public override void Record(in GatewayRequest r)
    {
        var (provider, counters) = Price(r);
        _totals.Add(counters);
        _byModel.GetOrAdd(r.Model, static _ => new AtomicRow()).Add(counters);
        _byProvider.GetOrAdd(provider, static _ => new AtomicRow()).Add(counters);
        _byAgent.GetOrAdd(r.Agent, static _ => new AtomicRow()).Add(counters);
    }

    public override long ReadRequests()
    {
        long byModel = 0;
        foreach (var (_, row) in _byModel) byModel += Volatile.Read(ref row.Values[(int)UsageCounter.Requests]);
        var total = Volatile.Read(ref _totals.Values[(int)UsageCounter.Requests]);
        return byModel == total ? total : -1;
    }

    private sealed class AtomicRow
    {
        public readonly long[] Values = new long[UsageCounters.Count];

        public void Add(in UsageCounters delta)
        {
            foreach (var counter in UsageCounters.All)
            {
                var amount = delta[counter];
                if (amount != 0) Interlocked.Add(ref Values[(int)counter], amount);
            }
        }
    }
}

/// <summary>The naive actor design: one message per request, Told to an actor that prices and folds it.</summary>
internal sealed class TellDesign : GatewayDesign
{
    private readonly ActorSystem _system = ActorSystem.Create("tell", Hocon.Quiet);
    private readonly IActorRef _actor;

    public TellDesign() => _actor = _system.ActorOf(Props.Create(() => new FoldingActor()), "usage");

    public override void Record(in GatewayRequest r) => _actor.Tell(new Recorded(r));

    /// <summary>The mailbox is FIFO: the reply comes after every message Told before the Ask.</summary>
    public override long ReadRequests() => _actor.Ask<long>(Read.Instance, TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();

    public override void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    private sealed record Recorded(GatewayRequest Request);

    private sealed class Read
    {
        public static readonly Read Instance = new();
    }

    private sealed class FoldingActor : ReceiveActor
    {
        private readonly Dictionary<string, UsageCounters> _byModel = new(StringComparer.Ordinal);
        private readonly Dictionary<string, UsageCounters> _byProvider = new(StringComparer.Ordinal);
        private readonly Dictionary<string, UsageCounters> _byAgent = new(StringComparer.Ordinal);
        private UsageCounters _totals;

        public FoldingActor()
        {
            Receive<Recorded>(m =>
            {
                var (provider, counters) = Price(m.Request);
                _totals.Add(counters);
                CollectionsMarshal.GetValueRefOrAddDefault(_byModel, m.Request.Model, out _).Add(counters);
                CollectionsMarshal.GetValueRefOrAddDefault(_byProvider, provider, out _).Add(counters);
                CollectionsMarshal.GetValueRefOrAddDefault(_byAgent, m.Request.Agent, out _).Add(counters);
            });
            // An immutable snapshot per read, as the actor's dictionaries are its own.
            Receive<Read>(_ =>
            {
                var models = _byModel.ToImmutableDictionary(kv => kv.Key, kv => new UsageRow(kv.Value));
                GC.KeepAlive(_byProvider.ToImmutableDictionary(kv => kv.Key, kv => new UsageRow(kv.Value)));
                GC.KeepAlive(_byAgent.ToImmutableDictionary(kv => kv.Key, kv => new UsageRow(kv.Value)));
                Sender.Tell(models.Values.Sum(row => row.Requests) == _totals[UsageCounter.Requests] ? _totals[UsageCounter.Requests] : -1L);
            });
        }
    }
}

/// <summary>
/// System.Diagnostics.Metrics instruments tagged with model, provider and agent, aggregated by the OpenTelemetry SDK
/// (a reader that exports every 60 s): requests, input, output, cache-read tokens, cost and duration, priced in line.
/// </summary>
internal sealed class OpenTelemetryDesign : GatewayDesign
{
    private readonly Meter _meter = new($"Analytics.Benchmarks.Gateway.{Guid.NewGuid():N}");
    private readonly Counter<long> _requests, _input, _output, _cacheRead, _cost;
    private readonly Histogram<long> _duration;
    private readonly MeterProvider _provider;
    private readonly List<Metric> _exported = [];

    public OpenTelemetryDesign()
    {
        _requests = _meter.CreateCounter<long>("llm.requests");
        _input = _meter.CreateCounter<long>("llm.tokens.input");
        _output = _meter.CreateCounter<long>("llm.tokens.output");
        _cacheRead = _meter.CreateCounter<long>("llm.tokens.cache_read");
        _cost = _meter.CreateCounter<long>("llm.cost");
        _duration = _meter.CreateHistogram<long>("llm.duration");
        _provider = Sdk.CreateMeterProviderBuilder().AddMeter(_meter.Name)
            .AddInMemoryExporter(_exported, reader => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 60_000)
            .Build();
    }

    public override void Record(in GatewayRequest r)
    {
        var (provider, counters) = Price(r);
        var model = new KeyValuePair<string, object?>("gen_ai.request.model", r.Model);
        var system = new KeyValuePair<string, object?>("gen_ai.provider.name", provider);
        var agent = new KeyValuePair<string, object?>("gen_ai.agent.id", r.Agent);
        _requests.Add(1, model, system, agent);
        _input.Add(r.InputTokens, model, system, agent);
        _output.Add(r.OutputTokens, model, system, agent);
        _cacheRead.Add(r.CacheReadTokens, model, system, agent);
        _cost.Add(counters[UsageCounter.CostMicros], model, system, agent);
        _duration.Record(r.DurationMs, model, system, agent);
    }

    public override long ReadRequests() => Peers.OpenTelemetryPeer.SumOf(_provider, _exported, "llm.requests");

    public override void Dispose()
    {
        _provider.Dispose();
        _meter.Dispose();
    }
}
