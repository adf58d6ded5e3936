using System.Globalization;
using System.Text;
using Analytics.Actors;
using Analytics.Actors.Budgets;
using Analytics.Actors.Store;
using Analytics.Actors.UsageLog;
using Analytics.Contracts;
using Analytics.Host.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Analytics.Host.Replay;

/// <summary>
/// <c>replay</c>: records every line of a usage log through the same recorder a library user gets, asks
/// for the stats, stops the host (which flushes sync) and prints the report. The exit code tells the truth: 0 only
/// when every recorded event reached everything it was handed to (see <see cref="ExitCodes"/>).
/// </summary>
internal static class ReplayCommand
{
    private const int MaxErrorLines = 1_000;

    /// <summary>Runs the command.</summary>
    /// <param name="command">The parsed command line.</param>
    /// <param name="stdout">Receives the report, and nothing else.</param>
    /// <param name="stderr">Receives skipped lines, errors and the signal messages.</param>
    /// <param name="overrides">Configuration layered over the files (tests).</param>
    /// <param name="signals">SIGINT/SIGTERM handling; null when nothing can interrupt the run (tests).</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(CommandLine command, TextWriter stdout, TextWriter stderr, IDictionary<string, string?>? overrides = null,
        ShutdownSignals? signals = null)
    {
        var stopping = signals?.Stopping ?? CancellationToken.None;
        if (!File.Exists(command.LogPath))
        {
            await stderr.WriteLineAsync(Directory.Exists(command.LogPath)
                ? $"error: usage log '{command.LogPath}' is a directory, not a file"
                : $"error: usage log '{command.LogPath}' not found");
            return ExitCodes.BadArguments;
        }
        if (command.ConfigFile is not null && !File.Exists(command.ConfigFile))
        {
            await stderr.WriteLineAsync($"error: settings file '{command.ConfigFile}' not found");
            return ExitCodes.BadArguments;
        }

        // Opened before anything starts: a log that cannot be opened is an input error with nothing to report.
        UsageLogReader reader;
        try
        {
            reader = await UsageLogReader.OpenAsync(command.LogPath, stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            await stderr.WriteLineAsync($"error: replay interrupted by {signals!.Name} while opening '{command.LogPath}'; nothing was recorded");
            return signals.ExitCode;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"error: cannot read usage log '{command.LogPath}': {e.Message}");
            return ExitCodes.BadArguments;
        }

        using (reader)
        {
            IHost host;
            try
            {
                host = AnalyticsHost.Build(command.ConfigFile, command.ConfigurationArgs, overrides, ReplayDefaults);
            }
            catch (Exception e) when (e is HostConfigurationException or InvalidOperationException or FormatException or InvalidDataException)
            {
                await stderr.WriteLineAsync($"error: invalid configuration: {Describe(e)}");
                return ExitCodes.BadArguments;
            }

            using (host)
            {
                try
                {
                    await host.StartAsync();
                }
                catch (Exception e) when (e is OptionsValidationException or InvalidOperationException or FormatException)
                {
                    await stderr.WriteLineAsync($"error: invalid configuration: {Describe(e)}");
                    return ExitCodes.BadArguments;
                }
                return await ReplayAsync(host, reader, command, stdout, stderr, signals, stopping);
            }
        }
    }

    private static async Task<int> ReplayAsync(IHost host, UsageLogReader reader, CommandLine command, TextWriter stdout, TextWriter stderr,
        ShutdownSignals? signals, CancellationToken stopping)
    {
        var recorder = host.Services.GetRequiredService<UsageRecorder>();
        var sync = host.Services.GetService<SyncStatus>() is { Enabled: true } status ? status : null;
        var store = host.Services.GetRequiredService<StoreRuntime>().Current;
        var budgets = host.Services.GetRequiredService<BudgetRuntime>().Current;
        var run = new Progress();
        signals?.Describe(() => run.LeftUndelivered(recorder, sync));

        string? inputError = null;
        Exception? failure = null;
        try
        {
            while (await reader.ReadLineAsync(stopping) is { } line)
            {
                string? error = null;
                if (line.TooLong)
                {
                    error = string.Create(CultureInfo.InvariantCulture,
                        $"the line is longer than {UsageLogParser.MaxLineBytes} bytes; skipped up to its end");
                }
                else if (!line.IsBlank)
                {
                    var entry = UsageLogParser.Parse(line.Bytes.Span, out error);
                    // A replay exists to store the whole log: it waits for room in the store queue as it does for the ring.
                    if (entry is not null && store is not null) await StoreRoom.WaitAsync(store, recorder);
                    // And in the budget queue: a budget judged on part of the log would report wrong crossings.
                    while (entry is not null && budgets is not null && !budgets.HasRoom(recorder.PendingCount + 1)) await Task.Delay(1, stopping);
                    if (entry is not null && await RecordAsync(recorder, sync, entry, e => error = e, stopping)) run.Recorded++;
                }
                // Counted only once handled: a line cut short by a signal is neither recorded nor skipped, and not read.
                run.Lines = line.Number;
                if (error is null) continue;
                run.Skipped++;
                if (run.Skipped <= MaxErrorLines) await stderr.WriteLineAsync($"{command.LogPath}:{line.Number}: skipped: {error}");
                else if (run.Skipped == MaxErrorLines + 1) await stderr.WriteLineAsync($"{command.LogPath}: more skipped lines; only the count is reported from here on");
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Interrupted: what was recorded is still drained, flushed and reported below.
        }
        catch (UsageLogEncodingException e)
        {
            inputError = $"usage log '{command.LogPath}': {e.Message}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            inputError = run.Lines == 0
                ? $"cannot read usage log '{command.LogPath}': {e.Message}"
                : $"reading usage log '{command.LogPath}' failed after line {run.Lines}: {e.Message}";
        }
        catch (Exception e)
        {
            // A defect: still drain, flush and report what was recorded, then say so and exit 1.
            failure = e;
        }

        UsageStats? stats = null;
        try
        {
            // The threshold events of the log's last requests enter the ring before the stats are asked, so they count.
            if (budgets is not null) await budgets.WhenEvaluatedAsync();
            stats = await host.Services.GetRequiredService<IUsageStats>().GetAsync();
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            failure ??= e;
        }
        finally
        {
            // Stops the analytics: the final drain and the sync flush run here, whatever happened above.
            await host.StopAsync();
        }

        // The cluster's final publish ran during the stop: its outcome is known now.
        var cluster = host.Services.GetRequiredService<IClusterUsageStats>().Status;
        if (stats is not null)
        {
            // The stats were asked before the stop, but sync delivers its tail during the stop (the shutdown flush):
            // report its final counters.
            if (sync?.Current is { } finalSync) stats = stats with { Sync = finalSync };
            var report = new ReplayReport
            {
                Source = command.LogPath, Lines = run.Lines, Recorded = run.Recorded, SkippedLines = run.Skipped, Stats = stats,
                Store = host.Services.GetRequiredService<IUsageStore>().Counters,
                Budgets = budgets?.Windows(),
                BudgetCounters = budgets?.Counters,
                Cluster = cluster,
            };
            await stdout.WriteLineAsync(command.Format == "json" ? report.ToJson() : report.ToTable());
        }
        var storeCounters = host.Services.GetRequiredService<IUsageStore>().Counters;
        return await Verdict(command, stderr, signals, run, stats, storeCounters, cluster, inputError, failure);
    }

    /// <summary>The exit code and, for every code but 0, one line on stderr saying why.</summary>
    private static async Task<int> Verdict(CommandLine command, TextWriter stderr, ShutdownSignals? signals, Progress run, UsageStats? stats,
        StoreCounters? store, ClusterPublishStatus? cluster, string? inputError, Exception? failure)
    {
        if (failure is not null)
        {
            await stderr.WriteLineAsync($"error: unexpected failure after line {run.Lines}: {Program.OneLine(failure)}" +
                                        (stats is null ? "; no report" : "; the report covers what was recorded"));
            return ExitCodes.Failure;
        }
        var shortfall = Shortfall(stats, store, cluster);
        if (signals?.Received is not null)
        {
            var outcome = shortfall is not null ? shortfall
                : stats?.Sync is not null ? "every recorded event was delivered"
                : "the report covers what was recorded";
            await stderr.WriteLineAsync($"error: replay interrupted by {signals.Name} after line {run.Lines}; {outcome}");
            return signals.ExitCode;
        }
        if (inputError is not null)
        {
            await stderr.WriteLineAsync($"error: {inputError}");
            return ExitCodes.BadArguments;
        }
        if (shortfall is not null)
        {
            await stderr.WriteLineAsync($"error: replay of '{command.LogPath}' did not deliver everything: {shortfall}");
            return ExitCodes.NotDelivered;
        }
        return ExitCodes.Ok;
    }

    /// <summary>What did not arrive where it was handed, or null when everything did.</summary>
    private static string? Shortfall(UsageStats? stats, StoreCounters? store, ClusterPublishStatus? cluster)
    {
        if (stats is null) return null;
        var c = CultureInfo.InvariantCulture;
        var parts = new List<string>();
        if (stats.Ingress.Dropped > 0) parts.Add(string.Create(c, $"{stats.Ingress.Dropped} dropped (ring full)"));
        if (stats.Sync is { } s)
        {
            if (s.SyncDropped > 0) parts.Add(string.Create(c, $"{s.SyncDropped} sync-dropped (queue full)"));
            if (s.Rejected > 0) parts.Add(string.Create(c, $"{s.Rejected} rejected by the server"));
            if (s.Undelivered > 0) parts.Add(string.Create(c, $"{s.Undelivered} undelivered"));
            if (s.Pending > 0) parts.Add(string.Create(c, $"{s.Pending} still pending"));
            if (s.Rejected + s.Undelivered > 0) parts.Add("dead letters in Analytics:Sync:DeadLetterPath");
            if (s.DeadLetterWriteFailures > 0) parts.Add(string.Create(c, $"{s.DeadLetterWriteFailures} dead letters could not be written"));
        }
        if (store is { } st)
        {
            if (st.StoreDropped > 0) parts.Add(string.Create(c, $"{st.StoreDropped} store-dropped (store queue full)"));
            if (st.Failed > 0) parts.Add(string.Create(c, $"{st.Failed} not committed to the store"));
        }
        if (cluster is { Final: ClusterFinalPublish.NotAcknowledged or ClusterFinalPublish.NotYet } cl)
            parts.Add($"the final cluster publish was not acknowledged ({cl.FinalProblem ?? "the node stopped before it ran"})");
        return parts.Count == 0 ? null : string.Join(", ", parts);
    }

    /// <summary>
    /// Settings that differ for replay, layered under every other source so any setting still wins. A replay's job
    /// is to deliver the whole log, so the shutdown flush may take as long as the retry budget allows (the host
    /// default, 10 s, suits a service that must stop quickly).
    /// </summary>
    internal static readonly IReadOnlyDictionary<string, string?> ReplayDefaults = new Dictionary<string, string?>
    {
        ["Analytics:Sync:FlushTimeout"] = "00:05:00",
    };

    /// <summary>The message and every inner message: the binder names the offending key only in the inner one.</summary>
    internal static string Describe(Exception e)
    {
        var text = e.Message;
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (!text.Contains(inner.Message, StringComparison.Ordinal)) text += " " + inner.Message;
        }
        return text.ReplaceLineEndings(" ");
    }

    /// <summary>
    /// Replay never drops: before each event it waits for room in the sync queue (so the pump never has to refuse it
    /// there) and in the ring, as long as it takes, unless the run is being stopped.
    /// </summary>
    private static async ValueTask<bool> RecordAsync(UsageRecorder recorder, SyncStatus? sync, UsageLogEntry e, Action<string> onError, CancellationToken stopping)
    {
        var waits = 0;
        while (sync is not null && !sync.HasRoom(recorder.AcceptedCount)) await Pause(++waits, stopping);
        while (true)
        {
            bool accepted;
            try
            {
                accepted = e.TryRecord(recorder);
            }
            catch (ArgumentException ex)
            {
                onError(ex.Message);
                return false;
            }
            if (accepted) return true;
            await Pause(++waits, stopping);
        }
    }

    private static async ValueTask Pause(int waits, CancellationToken stopping)
    {
        stopping.ThrowIfCancellationRequested();
        if (waits < 64) Thread.Yield();
        else await Task.Delay(1, stopping);
    }

    /// <summary>The run's line accounting, read by the signal handler from another thread (hence volatile-ish longs).</summary>
    private sealed class Progress
    {
        public long Lines;
        public long Recorded;
        public long Skipped;

        public string LeftUndelivered(UsageRecorder recorder, SyncStatus? sync)
        {
            var c = CultureInfo.InvariantCulture;
            var text = new StringBuilder(string.Create(c, $"{Volatile.Read(ref Lines)} lines read, {recorder.AcceptedCount} events recorded"));
            if (sync?.Current is { } s)
            {
                var settled = s.Delivered + s.Rejected + s.Undelivered + s.SyncDropped;
                text.Append(c, $", {Math.Max(0, recorder.AcceptedCount - settled)} not yet delivered to the sync endpoint");
            }
            return text.ToString();
        }
    }
}
