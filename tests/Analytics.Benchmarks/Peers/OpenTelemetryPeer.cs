using System.Diagnostics.Metrics;
using Analytics.Benchmarks.Infrastructure;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Analytics.Benchmarks.Peers;

/// <summary>
/// What a .NET team reaches for first: System.Diagnostics.Metrics instruments, tagged with model and
/// provider, aggregated by the OpenTelemetry SDK. A request counter, an input and an output token
/// counter and a cost counter; a MeterProvider with a (60 s, the OTLP default interval) periodic
/// reader is listening, so every Add goes through the SDK's aggregation, as in production.
/// </summary>
internal sealed class OpenTelemetryPeer : IUsagePeer
{
    private const string ModelTag = "gen_ai.request.model";
    private const string ProviderTag = "gen_ai.provider.name";

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _inputTokens;
    private readonly Counter<long> _outputTokens;
    private readonly Counter<long> _cost;
    private readonly MeterProvider _provider;
    private readonly List<Metric> _exported = [];

    public OpenTelemetryPeer()
    {
        // A unique meter name per instance: in-process runs create several peers in one process.
        _meter = new Meter($"Analytics.Benchmarks.Peer.{Guid.NewGuid():N}");
        _requests = _meter.CreateCounter<long>("llm.requests", "{request}");
        _inputTokens = _meter.CreateCounter<long>("llm.tokens.input", "{token}");
        _outputTokens = _meter.CreateCounter<long>("llm.tokens.output", "{token}");
        _cost = _meter.CreateCounter<long>("llm.cost", "u$");
        _provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(_meter.Name)
            .AddInMemoryExporter(_exported, reader => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 60_000)
            .Build();
    }

    public void Record(in Request request)
    {
        var model = new KeyValuePair<string, object?>(ModelTag, request.Model);
        var provider = new KeyValuePair<string, object?>(ProviderTag, request.Provider);
        _requests.Add(1, model, provider);
        _inputTokens.Add(request.InputTokens, model, provider);
        _outputTokens.Add(request.OutputTokens, model, provider);
        _cost.Add(request.CostMicros, model, provider);
    }

    public void RecordRange(int start, int count)
    {
        var requests = Workload.Requests;
        for (var i = start; i < start + count; i++) Record(requests[i & Workload.Mask]);
    }

    public long CountedRequests() => SumOf(_provider, _exported, "llm.requests");

    /// <summary>Exports now and sums every point of one counter: the read every OpenTelemetry design here makes.</summary>
    public static long SumOf(MeterProvider provider, List<Metric> exported, string counter)
    {
        exported.Clear();
        provider.ForceFlush();
        long total = 0;
        foreach (var metric in exported)
        {
            if (metric.Name != counter) continue;
            foreach (ref readonly var point in metric.GetMetricPoints()) total += point.GetSumLong();
        }
        return total;
    }

    public void Dispose()
    {
        _provider.Dispose();
        _meter.Dispose();
    }
}
