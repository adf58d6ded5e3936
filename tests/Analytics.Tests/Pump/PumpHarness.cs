using Akka.Actor;
using Akka.TestKit.Xunit2;
using Analytics.Actors;
using Analytics.Contracts;
using Xunit.Abstractions;

namespace Analytics.Tests.Pump;

/// <summary>A real pump over a real recorder, for actor specs.</summary>
public abstract class PumpHarness(ITestOutputHelper output) : TestKit(output: output)
{
    protected static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(15);

    protected (UsageRecorder Recorder, IActorRef Pump) StartPump(int capacity = 10_000, int shards = 0, IPriceCatalog? catalog = null, TimeProvider? time = null, AnalyticsOptions? options = null)
    {
        var recorder = new UsageRecorder(capacity, shards);
        var pump = Sys.ActorOf(IngressPumpActor.CreateProps(recorder, catalog ?? TestPrices.Catalog, options ?? new AnalyticsOptions(), time));
        return (recorder, pump);
    }

    protected static Task<UsageStats> StatsAsync(IActorRef pump) => pump.Ask<UsageStats>(UsageQueries.GetStats.Instance, AskTimeout);

    protected static UsageRow Sum(IEnumerable<UsageRow> rows)
    {
        var sum = UsageRow.Empty;
        foreach (var row in rows) sum = sum.Add(row);
        return sum;
    }
}
