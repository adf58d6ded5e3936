using Analytics.Actors.Store;
using Analytics.Tests.Sync;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static Analytics.Tests.Store.StoreTestSupport;

namespace Analytics.Tests.Store;

/// <summary>
/// Sync with a store: delivered from the ledger, marked as the server answers, nothing removed before the server
/// acknowledged it, and a restart resumes where the last run stopped.
/// </summary>
public sealed class OutboxSpecs : IAsyncLifetime
{
    private readonly LogCapture _logs = new();
    private StoreTestBed _bed = null!;

    public async Task InitializeAsync() => _bed = await StoreTestBed.StartAsync();

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    private Protocol012TestServer Server => _bed.Server;

    private string Ledger => _bed.Ledger;

    private IHost Host(params (string Key, string Value)[] sync)
    {
        var settings = SyncTestSupport.Config(Server.BaseUrl, Path.Combine(_bed.Dir, "dead-letter.jsonl"), sync);
        settings["Analytics:Store:Path"] = Ledger;
        settings["Analytics:Store:BatchInterval"] = "00:00:00.005";
        return SyncTestSupport.BuildHost(settings, _logs);
    }

    private static void Record(UsageRecorder recorder, int n, string prefix)
    {
        for (var i = 0; i < n; i++)
        {
            var identity = new EventIdentity { EventId = $"{prefix}-{i}" };
            Assert.True(i % 3 == 0
                ? recorder.TryRecordFailed("claude-3-5-haiku-20241022", failure: new RequestFailure { ErrorCode = "overloaded" }, identity: identity)
                : recorder.TryRecordCompleted("gpt-4o", new TokenUsage(500 + i, 50), identity: identity));
        }
    }

    private Dictionary<long, long> RowsByDelivery()
    {
        using var c = LedgerDatabase.OpenExistingReader(Ledger);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT delivery, count(*) FROM ledger GROUP BY delivery";
        using var r = cmd.ExecuteReader();
        var rows = new Dictionary<long, long>();
        while (r.Read()) rows[r.GetInt64(0)] = r.GetInt64(1);
        return rows;
    }

    [Fact]
    public async Task Events_go_from_the_ledger_to_the_server_and_are_marked_delivered_or_rejected_with_no_queue_in_between()
    {
        Server.AcceptedProviders.Remove("anthropic"); // the failed events are refused: 400, rejected for good
        using var host = Host(("BatchSize", "7"), ("QueueCapacity", "1"));
        await host.StartAsync();
        var recorder = host.Services.GetRequiredService<UsageRecorder>();
        Record(recorder, 90, "ob");
        var live = await host.Services.GetRequiredService<IUsageStats>().GetAsync();
        await host.StopAsync();
        var sync = host.Services.GetRequiredService<SyncStatus>().Current!;

        Assert.Equal(60, Server.Stored.Count);
        Assert.Equal(60, Server.Requests.Count(r => r.NewlyStored));
        Assert.Equal(new Dictionary<long, long> { [(long)Delivery.Delivered] = 60, [(long)Delivery.Rejected] = 30 }, RowsByDelivery());
        // QueueCapacity 1 would have dropped most events with a memory queue; with the store there is none.
        Assert.Equal(0, sync.SyncDropped);
        Assert.Equal(90, sync.HandedToSync);
        Assert.Equal(60, sync.Delivered);
        Assert.Equal(30, sync.Rejected);
        Assert.Equal(0, sync.Undelivered);
        Assert.NotNull(live.Sync); // the live stats carry the outbox's counters
        Assert.Single(recorder.Taps.Current); // the store's tap only: sync has no queue of its own
    }

    [Fact]
    public async Task Events_not_acknowledged_stay_in_the_ledger_and_the_next_run_delivers_them_exactly_once()
    {
        Server.Stall(); // every request hangs: nothing is acknowledged
        using (var first = Host(("FlushTimeout", "00:00:00.300")))
        {
            await first.StartAsync();
            Record(first.Services.GetRequiredService<UsageRecorder>(), 40, "resume");
            await first.Services.GetRequiredService<IUsageStore>().WhenCommittedAsync();
            await SyncTestSupport.WaitUntil(() => Server.RequestCount > 0, TimeSpan.FromSeconds(10), "delivery to start");
            await first.StopAsync(); // the flush times out and cancels what is in flight
            var c = first.Services.GetRequiredService<SyncStatus>().Current!;
            Assert.Equal(0, c.Delivered);
            Assert.Equal(c.HandedToSync, c.Undelivered);
        }
        Assert.Equal(new Dictionary<long, long> { [(long)Delivery.Pending] = 40 }, RowsByDelivery());
        Assert.Empty(Server.Stored);

        Server.Release();
        using var second = Host();
        await second.StartAsync(); // nothing recorded: the outbox resumes on its own
        await SyncTestSupport.WaitUntil(() => Server.Stored.Count == 40, TimeSpan.FromSeconds(20), "the second run to deliver");
        await second.StopAsync();

        Assert.Equal(40, Server.Requests.Count(r => r.NewlyStored));
        Assert.Equal(new Dictionary<long, long> { [(long)Delivery.Delivered] = 40 }, RowsByDelivery());
        Assert.Equal(40, second.Services.GetRequiredService<SyncStatus>().Current!.Delivered);
        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"resume-{i}").Order(), Server.Stored.Keys.Select(k => k.EventId).Order());
    }

    [Fact]
    public async Task Events_recorded_with_sync_off_need_no_delivery_and_are_never_sent()
    {
        var settings = new Dictionary<string, string?> { ["Analytics:Store:Path"] = Ledger };
        using (var local = SyncTestSupport.BuildHost(settings, _logs))
        {
            await local.StartAsync();
            Record(local.Services.GetRequiredService<UsageRecorder>(), 12, "local");
            await local.StopAsync();
        }

        using var synced = Host();
        await synced.StartAsync();
        Record(synced.Services.GetRequiredService<UsageRecorder>(), 5, "synced");
        await synced.StopAsync();

        Assert.Equal(5, Server.Stored.Count);
        Assert.Equal(new Dictionary<long, long> { [(long)Delivery.Local] = 12, [(long)Delivery.Delivered] = 5 }, RowsByDelivery());
    }
}
