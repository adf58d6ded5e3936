using System.Globalization;
using Analytics.Actors;
using Analytics.Actors.Reporting;
using Analytics.Actors.Store;
using Analytics.Contracts;
using Analytics.Host.Replay;
using Analytics.Host.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Analytics.Host.SyncCommand;

/// <summary>
/// <c>sync</c>: delivers every undelivered event of the ledger to the configured endpoint (the outbox in one pass,
/// with the usual retries), then reports. Exit 0 when nothing remains undelivered, 1 otherwise.
/// </summary>
internal static class SyncCommand
{
    public static async Task<int> RunAsync(CommandLine command, TextWriter stdout, TextWriter stderr, IDictionary<string, string?>? overrides = null)
    {
        if (await LedgerCommand.PrepareAsync(command, stderr, overrides, ReplayCommand.ReplayDefaults) is not var (host, options)) return ExitCodes.BadArguments;
        using (host)
        {
            if (!options.Sync.Enabled)
            {
                await stderr.WriteLineAsync($"error: sync needs {AnalyticsOptions.SectionName}:Sync:Endpoint (and its Token) to deliver to");
                return ExitCodes.BadArguments;
            }
            try
            {
                await host.StartAsync();
            }
            catch (Exception e) when (e is OptionsValidationException or InvalidOperationException or FormatException)
            {
                await stderr.WriteLineAsync($"error: invalid configuration: {ReplayCommand.Describe(e)}");
                return ExitCodes.BadArguments;
            }
            // The outbox starts at once; the stop's flush completes it once it is caught up and waits for delivery
            // (up to Analytics:Sync:FlushTimeout, 5 minutes by default here).
            await host.StopAsync();
            var counters = host.Services.GetRequiredService<SyncStatus>().Current!;
            long remaining;
            using (var connection = LedgerDatabase.OpenExistingReader(options.Store.FullPath)) remaining = LedgerReader.CountPending(connection);

            var report = new SyncReport(options.Store.FullPath, counters, remaining);
            await stdout.WriteLineAsync(command.Format == "json" ? report.ToJson() : report.ToTable());
            return remaining == 0 ? ExitCodes.Ok : ExitCodes.Incomplete;
        }
    }

    /// <summary>What a <c>sync</c> run did.</summary>
    private sealed record SyncReport(string Ledger, SyncCounters Counters, long Remaining)
    {
        /// <summary>
        /// <c>ledger</c>, <c>delivered</c> (of which <c>duplicates</c>: the server had them already), <c>rejected</c>
        /// (4xx, marked so and dead-lettered), <c>undelivered</c> (given up on in this run: retry budget or flush timeout),
        /// <c>remaining</c> (undelivered rows left in the ledger), <c>retried_attempts</c>.
        /// </summary>
        public string ToJson() => UsageReportJson.Object(w =>
        {
            w.WriteString("ledger", Ledger);
            w.WriteNumber("delivered", Counters.Delivered);
            w.WriteNumber("duplicates", Counters.Duplicates);
            w.WriteNumber("rejected", Counters.Rejected);
            w.WriteNumber("undelivered", Counters.Undelivered);
            w.WriteNumber("remaining", Remaining);
            w.WriteNumber("retried_attempts", Counters.RetriedAttempts);
        });

        public string ToTable() => string.Create(CultureInfo.InvariantCulture,
            $"Sync from {Ledger}: {Counters.Delivered:N0} delivered ({Counters.Duplicates:N0} duplicates), {Counters.Rejected:N0} rejected, " +
            $"{Counters.Undelivered:N0} undelivered, {Remaining:N0} remaining, {Counters.RetriedAttempts:N0} retried attempts");
    }
}
