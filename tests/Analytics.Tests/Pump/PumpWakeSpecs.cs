using Akka.Actor;
using Analytics.Actors;
using Analytics.Actors.Ingress;
using Analytics.Contracts;
using Xunit.Abstractions;

namespace Analytics.Tests.Pump;

/// <summary>
/// How the pump learns that events wait, now that a write does not wake it: its poller, a producer whose ring fills past
/// the wake mark, and its own thread when producers hold the thread pool.
/// </summary>
public sealed class PumpWakeSpecs(ITestOutputHelper output) : PumpHarness(output)
{
    private readonly ITestOutputHelper _output = output;

    [Fact]
    public void A_write_wakes_nobody_until_its_shard_reaches_the_wake_mark_and_then_wakes_the_sleeping_pump_once()
    {
        var recorder = new UsageRecorder(capacity: 512, shards: 1); // the mark at 50 % is 256 events
        var wakes = 0;
        recorder.Signal.Attach(() => Interlocked.Increment(ref wakes), wakeFillPercent: 50);

        for (var i = 0; i < 256; i++) Assert.True(recorder.RecordCompleted("alpha-1", 1, 1));
        Assert.Equal(0, wakes);
        // A write looks at the fill every 16th slot: the 257th (slot 256) finds 257 waiting, past the mark.
        Assert.True(recorder.RecordCompleted("alpha-1", 1, 1));
        Assert.Equal(1, wakes);
        // The pump was told; it is busy until it declares itself idle again, so later writes send nothing more.
        for (var i = 0; i < 200; i++) Assert.True(recorder.RecordFailed("alpha-1"));
        Assert.Equal(1, wakes);
        Assert.False(recorder.Signal.IsIdle);
    }

    [Fact]
    public void Below_the_wake_mark_no_write_wakes_the_pump_however_many_are_written()
    {
        var recorder = new UsageRecorder(capacity: 10_000, shards: 1);
        var wakes = 0;
        recorder.Signal.Attach(() => Interlocked.Increment(ref wakes), wakeFillPercent: 50);

        for (var i = 0; i < 4_999; i++) recorder.RecordCompleted("alpha-1", 1, 1);
        Assert.Equal(0, wakes);
        Assert.True(recorder.Signal.IsIdle);
    }

    [Fact]
    public async Task Events_below_the_wake_mark_are_folded_by_the_poll_without_any_ask()
    {
        var (recorder, _) = StartPump(options: new AnalyticsOptions { WakeFillPercent = 100 });
        for (var i = 0; i < 10; i++) Assert.True(recorder.RecordCompleted("alpha-1", 100, 10));

        // Nothing here wakes the pump: no write reaches the mark and no Ask is sent. Only the poller can drain them.
        await AwaitAssertAsync(() => Assert.Equal(10, recorder.FoldedCount), TimeSpan.FromSeconds(10));
        Assert.Equal(10, recorder.FoldedTotals.Requests);
        Assert.Equal(0, recorder.PendingCount);
    }

    [Fact]
    public async Task Stats_are_answered_while_record_loops_hold_every_thread_pool_thread()
    {
        var (recorder, pump) = StartPump(options: new AnalyticsOptions { PumpThread = PumpThreadMode.Dedicated });
        // Far more CPU-bound loops than cores: the pool runs as many as it has threads and adds more only slowly.
        var loops = Math.Max(32, Environment.ProcessorCount * 16);
        using var stop = new CancellationTokenSource();
        using var running = new CountdownEvent(Environment.ProcessorCount);
        var tasks = new Task[loops];
        for (var i = 0; i < loops; i++)
        {
            var agent = $"agent-{i}";
            tasks[i] = Task.Run(() =>
            {
                if (!running.IsSet) running.Signal();
                while (!stop.IsCancellationRequested) recorder.RecordCompleted("alpha-1", 10, 1, new RequestAttribution { AgentId = agent });
            });
        }

        UsageStats? stats = null;
        Exception? failure = null;
        // Asked and waited for from a thread of its own: no step of it may need the pool the loops hold.
        var asker = new Thread(() =>
        {
            try
            {
                running.Wait(TimeSpan.FromSeconds(30));
                stats = pump.Ask<UsageStats>(UsageQueries.GetStats.Instance, TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        asker.Start();
        asker.Join();
        stop.Cancel();
        await Task.WhenAll(tasks);

        // For the reader, not asserted: how the recorder fared while the loops ran.
        _output.WriteLine($"{loops} loops on {Environment.ProcessorCount} cores: folded {stats?.Ingress.Folded:N0}, accepted {recorder.AcceptedCount:N0}, dropped {recorder.DroppedCount:N0}");
        Assert.True(running.IsSet, "the record loops never held the pool");
        Assert.Null(failure);
        Assert.NotNull(stats);
        Assert.True(stats.Totals.Requests > 0, "the pump folded nothing while the loops ran");
        Assert.Equal(stats.Totals.Requests, stats.Ingress.Folded);
        Assert.Equal(stats.Totals, Sum(stats.ByModel.Values));
    }
}
