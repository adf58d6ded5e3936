using Akka.Hosting;
using Analytics.Actors;
using Analytics.Contracts;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Analytics.Benchmarks;

/// <summary>
/// What publishing into the cluster view costs the pipeline: events per second recorded and folded end to end (one
/// producer thread, 10 models and 2,000 agents, the stats Ask at the end of each invocation waiting for the last fold),
/// by a host without the cluster (the baseline) and by a one-node cluster publishing every 100 ms (ten times the default
/// rate, so its cost shows), in the same process. The publisher's per-round cost (a stats snapshot, the deltas of every
/// changed row, the Distributed Data updates and the CRDT merges) runs on the actor system's thread pool beside the pump.
/// </summary>
[MemoryDiagnoser(false)]
public class ClusterPublishBenchmarks
{
    private const int Events = 200_000;
    private static readonly string[] Models = [.. Enumerable.Range(0, 10).Select(i => $"model-{i}")];
    private static readonly string[] Agents = [.. Enumerable.Range(0, 2_000).Select(i => $"agent-{i}")];

    private IHost _host = null!;
    private UsageRecorder _recorder = null!;
    private IUsageStats _stats = null!;
    private int _next;

    /// <summary>False: the baseline host; true: the same host publishing into a one-node cluster.</summary>
    [Params(false, true)]
    public bool Cluster { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Analytics:BufferCapacity"] = "1048576",
            ["Analytics:Metrics:Enabled"] = "false",
            ["Analytics:Cluster:Enabled"] = Cluster ? "true" : "false",
            ["Analytics:Cluster:PublishInterval"] = "00:00:00.100",
            ["Analytics:Cluster:MaxKeysPerDimension"] = "10000",
        });
        builder.Services.AddUsageAnalytics(builder.Configuration);
        builder.Services.AddAkka("analytics", (akka, sp) => akka.AddHocon("akka.loglevel = WARNING", HoconAddMode.Prepend).WithUsageAnalytics().WithUsageAnalyticsCluster(sp));
        _host = builder.Build();
        _host.StartAsync().GetAwaiter().GetResult();
        _recorder = _host.Services.GetRequiredService<UsageRecorder>();
        _stats = _host.Services.GetRequiredService<IUsageStats>();
        var cluster = _host.Services.GetRequiredService<IClusterUsageStats>();
        if (cluster.Enabled != Cluster) throw new InvalidOperationException($"the cluster view is {(cluster.Enabled ? "on" : "off")}");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _host.StopAsync().GetAwaiter().GetResult();
        _host.Dispose();
    }

    /// <summary>Records <see cref="Events"/> events and waits until they are folded.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public async Task<long> RecordAndFold()
    {
        for (var i = 0; i < Events; i++)
        {
            var n = _next++;
            var usage = new TokenUsage(Input: 1_000 + (n & 1023), Output: 100);
            var attribution = new RequestAttribution { AgentId = Agents[n % Agents.Length] };
            while (!_recorder.TryRecordCompleted(Models[n % Models.Length], usage, attribution)) Thread.Yield();
        }
        UsageStats stats = await _stats.GetAsync();
        return stats.Totals.Requests;
    }
}
