using System.Diagnostics;
using Akka.Actor;
using Akka.Hosting;
using Analytics.Actors.Store;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Analytics.Hosting.Tests;

/// <summary>The store registered through the same WithUsageAnalytics as the host, answering an Ask found through the registry.</summary>
public sealed class StoreRegistrySpecs(ITestOutputHelper output) : Akka.Hosting.TestKit.TestKit(output: output)
{
    private readonly string _dir = Directory.CreateTempSubdirectory("analytics-hosting-store-").FullName;

    protected override void ConfigureAppConfiguration(HostBuilderContext context, IConfigurationBuilder builder)
        => builder.AddInMemoryCollection(new Dictionary<string, string?> { ["Analytics:Store:Path"] = Path.Combine(_dir, "ledger.db") });

    protected override void ConfigureServices(HostBuilderContext context, IServiceCollection services)
        => services.AddUsageAnalytics(context.Configuration);

    protected override void ConfigureAkka(AkkaConfigurationBuilder builder, IServiceProvider provider)
        => builder.WithUsageAnalytics();

    [Fact]
    public async Task GetUsage_is_answered_by_the_registered_ledger_actor_with_every_event_recorded_before_the_Ask()
    {
        var recorder = Host.Services.GetRequiredService<UsageRecorder>();
        for (var i = 0; i < 250; i++) recorder.RecordCompleted(i % 2 == 0 ? "gpt-4o" : "claude-sonnet-4-5", 1_000, 100, new RequestAttribution { AgentId = "a" });

        var ledger = await ActorRegistry.GetAsync<UsageLedger>(TestContext.Current.CancellationToken);
        var history = await ledger.Ask<UsageHistory>(new UsageQueries.GetUsage(By: UsageBucketSize.Hour), TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.Equal(250, history.Totals.Requests);
        Assert.Equal(125, history.ByProvider["anthropic"].Requests);
        Assert.Equal(250, history.ByAgent["a"].Requests);
        Assert.Equal(history.Totals.Requests, history.Buckets.Sum(b => b.Totals.Requests));
    }

    protected override async Task AfterAllAsync()
    {
        await base.AfterAllAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>A ledger file the process may not write stops the start with its reason, instead of running with an empty store.</summary>
public sealed class ReadOnlyLedgerSpecs : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("analytics-readonly-").FullName;
    private bool _immutable;

    private string Ledger => Path.Combine(_dir, "ledger.db");

    public void Dispose()
    {
        if (_immutable) Chattr("-i");
        File.SetAttributes(Ledger, FileAttributes.Normal);
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task A_read_only_ledger_file_is_a_clear_start_error()
    {
        LedgerDatabase.Open(Ledger).Dispose(); // a valid ledger, then read-only
        if (OperatingSystem.IsWindows()) File.SetAttributes(Ledger, FileAttributes.ReadOnly);
        else File.SetUnixFileMode(Ledger, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        // Root writes through file modes; the immutable attribute stops it too, where the file system has one.
        if (Writable() && Chattr("+i")) _immutable = true;
        Assert.SkipWhen(Writable(), "this process can write a read-only file (root without chattr) and cannot make one");

        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Analytics:Store:Path"] = Ledger });
        builder.Services.AddUsageAnalytics(builder.Configuration);
        builder.Services.AddAkka("read-only-ledger", akka => akka.WithUsageAnalytics());
        using var host = builder.Build();

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains(Ledger, e.Message);
        Assert.Contains("read-only", e.Message);
    }

    private bool Writable()
    {
        try
        {
            using var _ = File.Open(Ledger, FileMode.Open, FileAccess.ReadWrite);
            return true;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return false;
        }
    }

    private bool Chattr(string flag)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("chattr", [flag, Ledger]) { RedirectStandardError = true, UseShellExecute = false })!;
            p.WaitForExit(10_000);
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no chattr on this system
        }
    }
}
