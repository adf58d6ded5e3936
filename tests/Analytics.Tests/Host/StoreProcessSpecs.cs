using System.Diagnostics;
using System.Text.Json;
using Analytics.Actors.Store;
using Analytics.Tests.Store;
using Analytics.Tests.Sync;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Analytics.Tests.Host;

/// <summary>
/// The real executable killed with SIGKILL while it delivers from its ledger to a slow server, then <c>sync</c> run
/// against a healthy one: the server must end up with every recorded event exactly once.
/// </summary>
public sealed class StoreProcessSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Events = 500;
    private StoreTestBed _bed = null!;

    public async Task InitializeAsync() => _bed = await StoreTestBed.StartAsync();

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    private Protocol012TestServer Server => _bed.Server;

    private string Dir => _bed.Dir;

    private Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Dir,
        };
        start.ArgumentList.Add(HostProcessSpecs.HostDll());
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var a in (string[])
        [
            $"--Analytics:Store:Path={Path.Combine(Dir, "ledger.db")}", $"--Analytics:Sync:Endpoint={Server.BaseUrl}",
            $"--Analytics:Sync:Token={SyncTestSupport.Token}", "--Analytics:Sync:Interval=00:00:00.050", "--Analytics:Sync:Timeout=00:00:30",
            $"--Analytics:Sync:DeadLetterPath={Path.Combine(Dir, "dead-letter.jsonl")}",
        ]) start.ArgumentList.Add(a);
        return Process.Start(start)!;
    }

    private (long Rows, long Pending) Ledger()
    {
        var path = Path.Combine(Dir, "ledger.db");
        if (!File.Exists(path)) return (0, 0);
        try
        {
            using var c = LedgerDatabase.OpenExistingReader(path);
            return (LedgerReader.Count(c), LedgerReader.CountPending(c));
        }
        catch (Exception e) when (e is InvalidOperationException or SqliteException)
        {
            return (0, 0); // the child is still creating the schema
        }
    }

    [Fact]
    public async Task Kill_9_during_delivery_then_sync_leaves_every_event_stored_exactly_once()
    {
        var log = Path.Combine(Dir, "usage.jsonl");
        await File.WriteAllLinesAsync(log, Enumerable.Range(0, Events).Select(i =>
            $$"""{"event_type":"llm_request_completed","event_id":"k9-{{i}}","model":"gpt-4o","agent_id":"a","input_tokens":{{100 + i}},"output_tokens":10}"""));
        // Slow: each event is stored on arrival but answered only minutes later, so nothing is acknowledged.
        Server.SlowEvery = 1;
        Server.SlowDelay = TimeSpan.FromMinutes(5);

        using (var replay = Start("replay", log, "--format", "json"))
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            // Every event committed, and delivery under way (4 batches x 4 requests in flight by default).
            while (Ledger().Rows < Events || Server.RequestCount < 16)
            {
                if (replay.HasExited) Assert.Fail($"replay exited early: {await replay.StandardError.ReadToEndAsync()}");
                if (DateTime.UtcNow > deadline) Assert.Fail($"not in delivery after 60 s: {Ledger()} rows, {Server.RequestCount} requests");
                await Task.Delay(20);
            }
            replay.Kill(); // SIGKILL: no flush, no shutdown hook
            await replay.WaitForExitAsync();
            Assert.NotEqual(0, replay.ExitCode); // 137 on Linux: killed by signal 9
        }
        var storedBeforeKill = Server.Stored.Count;
        var (rowsAfterKill, pendingAfterKill) = Ledger();

        Server.SlowEvery = 0;
        using var sync = Start("sync", "--format", "json");
        var stdout = sync.StandardOutput.ReadToEndAsync();
        var stderr = sync.StandardError.ReadToEndAsync();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2))) await sync.WaitForExitAsync(timeout.Token);
        var report = JsonDocument.Parse(await stdout).RootElement;

        output.WriteLine($"recorded {Events}, in the ledger after kill -9 {rowsAfterKill} ({pendingAfterKill} undelivered), " +
                         $"stored by the server before the kill {storedBeforeKill} (unacknowledged); sync: {report}; server stored {Server.Stored.Count}");
        Assert.True(sync.ExitCode == 0, await stderr);
        Assert.Equal(Events, rowsAfterKill);
        Assert.Equal(Events, pendingAfterKill); // nothing was acknowledged, so nothing was marked
        Assert.InRange(storedBeforeKill, 1, Events - 1);
        Assert.Equal(Events, report.GetProperty("delivered").GetInt64());
        Assert.Equal(storedBeforeKill, report.GetProperty("duplicates").GetInt64()); // the server had those: 200 duplicate
        Assert.Equal(0, report.GetProperty("remaining").GetInt64());
        Assert.Equal(Events, Server.Stored.Count);
        Assert.Equal(Events, Server.Requests.Count(r => r.NewlyStored)); // each stored by exactly one request
        Assert.Equal(Enumerable.Range(0, Events).Select(i => $"k9-{i}").Order(), Server.Stored.Keys.Select(k => k.EventId).Order());
        Assert.Equal((0L, 0L), (Ledger().Rows - Events, Ledger().Pending));
    }
}
