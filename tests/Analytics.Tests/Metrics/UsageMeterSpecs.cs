using System.Diagnostics.Metrics;
using Analytics.Actors.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Analytics.Tests.Metrics;

/// <summary>The meter's instruments, fed event by event (no pump): names, units, buckets, attributes, values.</summary>
public sealed class UsageMeterSpecs : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly UsageRecorder _recorder = new(capacity: 16, shards: 1);
    private readonly StoreSignalsSource _store = new();
    private readonly List<IDisposable> _collectors = [];
    private long _metricsDropped;

    public void Dispose()
    {
        foreach (var c in _collectors) c.Dispose();
        _services.Dispose();
    }

    private UsageMeter Meter(MetricsOptions? options = null, SyncStatus? sync = null)
        => new(_services.GetRequiredService<IMeterFactory>(), options ?? new MetricsOptions(), new UsageSignals(_recorder, sync, _store, () => _metricsDropped));

    private MetricCollector<T> Collect<T>(UsageMeter meter, string instrument) where T : struct
    {
        var collector = new MetricCollector<T>(meter.Meter, instrument);
        _collectors.Add(collector);
        return collector;
    }

    private static LlmRequestCompleted Completed(string model = "gpt-4o", string provider = "openai", string? agent = null) => new()
    {
        Model = model, Provider = provider, AgentId = agent, InputTokens = 1_200, OutputTokens = 300, CacheReadInputTokens = 1_024,
        CacheCreationInputTokens = 100, ReasoningTokens = 40, CostMicros = 2_500, DurationMs = 840, TimeToFirstTokenMs = 210,
    };

    [Fact]
    public void The_GenAI_histograms_have_the_spec_s_names_units_and_bucket_boundaries()
    {
        var meter = Meter();
        var tokens = Collect<long>(meter, "gen_ai.client.token.usage");
        var duration = Collect<double>(meter, "gen_ai.client.operation.duration");
        var ttft = Collect<double>(meter, "gen_ai.client.operation.time_to_first_chunk");

        Assert.Equal("Analytics.Usage", meter.Meter.Name);
        Assert.Equal("{token}", tokens.Instrument!.Unit);
        Assert.Equal(("s", "s"), (duration.Instrument!.Unit, ttft.Instrument!.Unit));
        Assert.Equal([1L, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864],
            ((Histogram<long>)tokens.Instrument).Advice!.HistogramBucketBoundaries);
        double[] seconds = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
        Assert.Equal(seconds, ((Histogram<double>)duration.Instrument).Advice!.HistogramBucketBoundaries);
        Assert.Equal(seconds, ((Histogram<double>)ttft.Instrument).Advice!.HistogramBucketBoundaries);
    }

    [Fact]
    public void A_completed_request_records_tokens_by_type_duration_and_time_to_first_chunk_in_seconds()
    {
        var meter = Meter();
        var tokens = Collect<long>(meter, "gen_ai.client.token.usage");
        var duration = Collect<double>(meter, "gen_ai.client.operation.duration");
        var ttft = Collect<double>(meter, "gen_ai.client.operation.time_to_first_chunk");

        meter.Measure(Completed(model: "gemini-2.5-pro", provider: "google"));

        var measured = tokens.GetMeasurementSnapshot();
        Assert.Equal(2, measured.Count);
        Assert.Equal(1_200, Assert.Single(measured.ContainsTags(new KeyValuePair<string, object?>("gen_ai.token.type", "input"))).Value);
        Assert.Equal(300, Assert.Single(measured.ContainsTags(new KeyValuePair<string, object?>("gen_ai.token.type", "output"))).Value);
        Assert.All(measured, m => Assert.True(m.MatchesTags(
            new KeyValuePair<string, object?>("gen_ai.operation.name", "chat"),
            new KeyValuePair<string, object?>("gen_ai.provider.name", "gcp.gen_ai"),
            new KeyValuePair<string, object?>("gen_ai.request.model", "gemini-2.5-pro"),
            new KeyValuePair<string, object?>("gen_ai.token.type", m.Tags["gen_ai.token.type"]))));
        Assert.Equal(0.84, duration.LastMeasurement!.Value, 9);
        Assert.False(duration.LastMeasurement.ContainsTags("error.type"));
        Assert.Equal(0.21, ttft.LastMeasurement!.Value, 9);
    }

    [Fact]
    public void A_failed_request_records_its_duration_with_error_type_and_counts_as_failed()
    {
        var meter = Meter();
        var duration = Collect<double>(meter, "gen_ai.client.operation.duration");
        var requests = Collect<long>(meter, "analytics.usage.requests");
        var tokens = Collect<long>(meter, "gen_ai.client.token.usage");

        meter.Measure(new LlmRequestFailed { Model = "claude-sonnet-4-5", Provider = "anthropic", ErrorCode = "overloaded", DurationMs = 1_500 });
        meter.Measure(new LlmRequestFailed { Model = "claude-sonnet-4-5", Provider = "anthropic" });

        var d = Assert.Single(duration.GetMeasurementSnapshot());
        Assert.Equal(1.5, d.Value, 9);
        Assert.Equal("overloaded", d.Tags["error.type"]);
        var counted = requests.GetMeasurementSnapshot();
        Assert.Equal(2, counted.Count);
        Assert.All(counted, m => Assert.Equal("failed", m.Tags["analytics.request.outcome"]));
        Assert.Equal(["overloaded", "_OTHER"], counted.Select(m => m.Tags["error.type"]));
        Assert.Empty(tokens.GetMeasurementSnapshot());
    }

    [Fact]
    public void Cost_cache_reasoning_and_unpriced_have_instruments_of_their_own()
    {
        var meter = Meter();
        var cost = Collect<double>(meter, "analytics.usage.cost");
        var tokens = Collect<long>(meter, "analytics.usage.tokens");
        var unpriced = Collect<long>(meter, "analytics.usage.unpriced_requests");
        var requests = Collect<long>(meter, "analytics.usage.requests");

        meter.Measure(Completed());
        meter.Measure(Completed(model: "acme-llm") with { CostMicros = 0, Unpriced = true, CacheCreationInputTokens = 0 });

        Assert.Equal("USD", cost.Instrument!.Unit);
        Assert.Equal(0.0025, Assert.Single(cost.GetMeasurementSnapshot()).Value, 12);
        var byType = tokens.GetMeasurementSnapshot().GroupBy(m => (string)m.Tags["gen_ai.token.type"]!).ToDictionary(g => g.Key, g => g.Sum(m => m.Value));
        Assert.Equal(new Dictionary<string, long> { ["cache_read"] = 2_048, ["cache_write"] = 100, ["reasoning"] = 80 }, byType);
        Assert.Equal("acme-llm", Assert.Single(unpriced.GetMeasurementSnapshot()).Tags["gen_ai.request.model"]);
        Assert.All(requests.GetMeasurementSnapshot(), m => Assert.Equal("completed", m.Tags["analytics.request.outcome"]));
        Assert.Equal(2, requests.GetMeasurementSnapshot().Count);
    }

    [Fact]
    public void Agents_are_no_attribute_unless_enabled()
    {
        var meter = Meter();
        var requests = Collect<long>(meter, "analytics.usage.requests");

        meter.Measure(Completed(agent: "agent-1"));

        Assert.False(requests.LastMeasurement!.ContainsTags("gen_ai.agent.id"));
    }

    [Fact]
    public void Agents_beyond_the_cap_share_the_overflow_value_and_are_counted()
    {
        var meter = Meter(new MetricsOptions { AgentAttribute = true, MaxAgents = 2 });
        var requests = Collect<long>(meter, "analytics.usage.requests");
        var overflow = Collect<long>(meter, "analytics.usage.metrics.agent_overflow");

        foreach (var agent in new[] { "a", "b", "c", "a", "d", "b", "c" }) meter.Measure(Completed(agent: agent));
        meter.Measure(Completed(agent: null));
        overflow.RecordObservableInstruments();

        Assert.Equal(["a", "b", "_OTHER", "a", "_OTHER", "b", "_OTHER", null],
            requests.GetMeasurementSnapshot().Select(m => m.Tags.TryGetValue("gen_ai.agent.id", out var v) ? v : null));
        Assert.Equal(3, overflow.LastMeasurement!.Value);
    }

    [Fact]
    public void The_ring_is_observed_and_sync_and_store_only_once_they_run()
    {
        var sync = new SyncStatus();
        var meter = Meter(sync: sync);
        var accepted = Collect<long>(meter, "analytics.usage.ingress.accepted");
        var dropped = Collect<long>(meter, "analytics.usage.ingress.dropped");
        var pending = Collect<long>(meter, "analytics.usage.ingress.pending");
        var delivered = Collect<long>(meter, "analytics.usage.sync.delivered");
        var written = Collect<long>(meter, "analytics.usage.store.written");
        var queued = Collect<long>(meter, "analytics.usage.store.queued");
        var notMeasured = Collect<long>(meter, "analytics.usage.metrics.dropped");
        for (var i = 0; i < 20; i++) _recorder.RecordCompleted("gpt-4o", 1, 1);
        _metricsDropped = 7;

        foreach (var c in new[] { accepted, dropped, pending, delivered, written, queued, notMeasured }) c.RecordObservableInstruments();

        Assert.Equal((16L, 4L, 16L), (accepted.LastMeasurement!.Value, dropped.LastMeasurement!.Value, pending.LastMeasurement!.Value));
        Assert.Equal(7, notMeasured.LastMeasurement!.Value);
        Assert.Null(delivered.LastMeasurement);
        Assert.Null(written.LastMeasurement);

        _store.Attach(new FakeStore(new StoreSignals(Written: 12, Duplicates: 1, WriteFailures: 0, Dropped: 0, Queued: 3, WriteError: null)));
        written.RecordObservableInstruments();
        queued.RecordObservableInstruments();

        Assert.Equal((12L, 3L), (written.LastMeasurement!.Value, queued.LastMeasurement!.Value));
    }

    private sealed class FakeStore(StoreSignals signals) : IStoreSignals
    {
        public StoreSignals Read() => signals;
    }
}
