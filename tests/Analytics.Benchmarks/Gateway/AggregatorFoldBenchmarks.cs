using Analytics.Actors.Aggregation;
using Analytics.Benchmarks.Infrastructure;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Analytics.Benchmarks.Gateway;

/// <summary>
/// Component: what the aggregators do per request, on one thread with nothing else running. One batch of
/// <see cref="UsageFold.MaxLatencies"/> gateway requests (8 models, 3 providers, 16 agents), summed per key by the pump's
/// <see cref="UsageFold"/> outside the measured time, is added to the rows of all three breakdowns, as the model, provider
/// and agent aggregators do between them (on two threads, in the real pump). Mean is per request. <c>Latencies</c>
/// <c>none</c>: the requests carried no latency, so only the per-key deltas are added; <c>both</c>: a duration and a time to
/// first token each, counted into the row sketches (and the totals').
/// </summary>
[Config(typeof(Cfg))]
public class AggregatorFoldBenchmarks
{
    private const int Requests = UsageFold.MaxLatencies;

    private readonly BreakdownRows[] _rows = [new(StatsDimension.Model), new(StatsDimension.Provider), new(StatsDimension.Agent)];
    private FoldBatch _batch = null!;

    [Params("none", "both")]
    public string Latencies { get; set; } = "both";

    [GlobalSetup]
    public void Setup()
    {
        var fold = new UsageFold();
        for (var i = 0; i < Requests; i++)
        {
            ref readonly var r = ref GatewayWorkload.Requests[i & GatewayWorkload.Mask];
            var counters = UsageCounters.ForCompleted(new TokenUsage(r.InputTokens, r.OutputTokens, r.CacheReadTokens), 1_000, false, r.DurationMs, r.TimeToFirstTokenMs);
            var provider = Workload.Requests[i & Workload.Mask].Provider;
            fold.Add(fold.Key(StatsDimension.Model, r.Model), fold.Key(StatsDimension.Provider, provider), fold.Key(StatsDimension.Agent, r.Agent),
                Latencies == "both" ? new FoldedRequest(in counters, r.DurationMs, r.TimeToFirstTokenMs) : new FoldedRequest(in counters, null, null));
        }
        _batch = fold.TakeBatch()!;
        // The rows exist and their sketches have grown to the workload's range before the measured adds.
        for (var i = 0; i < 10; i++) AddToAll();
    }

    [Benchmark(OperationsPerInvoke = Requests)]
    public void AddBatch() => AddToAll();

    private void AddToAll()
    {
        foreach (var rows in _rows) rows.Add(_batch);
    }

    private sealed class Cfg : ManualConfig
    {
        public Cfg() => AddJob(BenchConfig.Mutator(fullIterations: 15, quickIterations: 3, fullWarmup: 5, quickWarmup: 1));
    }
}
