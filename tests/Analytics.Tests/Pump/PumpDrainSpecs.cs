using System.Diagnostics.CodeAnalysis;
using Akka.Actor;
using Xunit.Abstractions;

namespace Analytics.Tests.Pump;

/// <summary>How far the pump drains for a stats Ask and for the shutdown drain.</summary>
public sealed class PumpDrainSpecs(ITestOutputHelper output) : PumpHarness(output)
{
    /// <summary>
    /// A catalog that, each time it is asked for a new model, records one more event with yet another model: a
    /// producer that always has a write ready while the pump drains. A drain that kept reading while anything was
    /// there would chase it to the end of the chain.
    /// </summary>
    private sealed class ChainingCatalog(int chainLength) : IPriceCatalog
    {
        private int _next;

        public UsageRecorder? Recorder { get; set; }

        public long Version => 0;

        public bool TryGetPrice(string model, [NotNullWhen(true)] out ModelPrice? price)
        {
            if (_next < chainLength) Recorder!.RecordCompleted($"chain-{++_next}", 1, 1);
            price = TestPrices.Alpha;
            return true;
        }
    }

    [Fact]
    public async Task A_stats_ask_drains_to_the_tails_it_saw_and_no_further()
    {
        const int chain = 20_000;
        var catalog = new ChainingCatalog(chain);
        // Small drain batches, so whatever batch is in progress when the Ask arrives is small too.
        var (recorder, pump) = StartPump(capacity: 1_024, shards: 1, catalog: catalog, options: new AnalyticsOptions { DrainBatchSize = 16 });
        catalog.Recorder = recorder;
        recorder.RecordCompleted("chain-0", 1, 1);

        var stats = await StatsAsync(pump);

        // The Ask includes what was recorded before it (read-your-writes) and stops there, although the chain
        // keeps adding events as fast as the pump folds them.
        Assert.True(stats.Totals.Requests >= 1);
        Output?.WriteLine($"folded by the Ask: {stats.Totals.Requests} of a chain of {chain}");
        Assert.True(stats.Totals.Requests < chain / 10, $"the Ask folded {stats.Totals.Requests} events: it chased the producer");
        Assert.Equal(stats.Totals.Requests, stats.Ingress.Folded);
    }

    [Fact]
    public async Task The_shutdown_drain_stops_intake_and_folds_everything_accepted_before()
    {
        var (recorder, pump) = StartPump(capacity: 4_096);
        for (var i = 0; i < 1_000; i++) recorder.RecordCompleted("alpha-1", 10, 1);

        var drained = await pump.Ask<IngressPumpActor.Drained>(IngressPumpActor.DrainAll.Instance, AskTimeout);

        Assert.Equal(1_000, drained.Folded);
        Assert.True(recorder.IsStopped);
        Assert.False(recorder.RecordCompleted("alpha-1", 10, 1));
        Assert.Equal(0, recorder.PendingCount);
        // Idempotent: the sync flush sends it too.
        Assert.Equal(1_000, (await pump.Ask<IngressPumpActor.Drained>(IngressPumpActor.DrainAll.Instance, AskTimeout)).Folded);
        var stats = await StatsAsync(pump);
        Assert.Equal(1_000, stats.Totals.Requests);
        Assert.Equal(1, stats.Ingress.Rejected);
    }
}
