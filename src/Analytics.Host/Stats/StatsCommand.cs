using Analytics.Actors.Store;
using Analytics.Contracts;
using Analytics.Host.Store;

namespace Analytics.Host.Stats;

/// <summary>
/// <c>stats</c>: the stored usage of a window, read from the ledger's hourly rollups without starting the actors or
/// replaying anything. The ledger must exist; it is opened for reading only.
/// </summary>
internal static class StatsCommand
{
    public static async Task<int> RunAsync(CommandLine command, TextWriter stdout, TextWriter stderr, IDictionary<string, string?>? overrides = null)
    {
        if (await LedgerCommand.PrepareAsync(command, stderr, overrides) is not var (host, options)) return ExitCodes.BadArguments;
        using (host)
        {
            UsageHistory history;
            try
            {
                using var connection = LedgerDatabase.OpenExistingReader(options.Store.FullPath);
                history = LedgerReader.Usage(connection, new UsageQueries.GetUsage(command.Since, command.Until, command.By), TimeProvider.System.GetUtcNow());
            }
            catch (InvalidOperationException e)
            {
                await stderr.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.BadArguments;
            }
            var report = new StatsReport(options.Store.FullPath, history);
            await stdout.WriteLineAsync(command.Format == "json" ? report.ToJson() : report.ToTable());
            return ExitCodes.Ok;
        }
    }
}
