using Analytics.Actors;
using Analytics.Actors.Store;
using Analytics.Actors.UsageLog;
using Analytics.Host.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Analytics.Host.Replay;

/// <summary>
/// <c>replay</c>: records every line of a usage log through the same recorder a library user gets, asks
/// for the stats, stops the host (which flushes sync) and prints the report.
/// </summary>
internal static class ReplayCommand
{
    private const int MaxErrorLines = 1_000;

    public static async Task<int> RunAsync(CommandLine command, TextWriter stdout, TextWriter stderr, IDictionary<string, string?>? overrides = null)
    {
        if (!File.Exists(command.LogPath))
        {
            await stderr.WriteLineAsync($"error: usage log '{command.LogPath}' not found");
            return ExitCodes.BadArguments;
        }
        if (command.ConfigFile is not null && !File.Exists(command.ConfigFile))
        {
            await stderr.WriteLineAsync($"error: settings file '{command.ConfigFile}' not found");
            return ExitCodes.BadArguments;
        }

        using var host = AnalyticsHost.Build(command.ConfigFile, command.ConfigurationArgs, overrides, ReplayDefaults);
        try
        {
            await host.StartAsync();
        }
        catch (Exception e) when (e is OptionsValidationException or InvalidOperationException or FormatException)
        {
            await stderr.WriteLineAsync($"error: invalid configuration: {Describe(e)}");
            return ExitCodes.BadArguments;
        }

        var recorder = host.Services.GetRequiredService<UsageRecorder>();
        var store = host.Services.GetRequiredService<StoreRuntime>().Current;
        long lines = 0, recorded = 0, skipped = 0;
        using (var reader = new StreamReader(command.LogPath))
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                lines++;
                if (string.IsNullOrWhiteSpace(line)) continue; // blank lines separate nothing in JSON Lines
                var entry = UsageLogParser.Parse(line, out var error);
                if (store is not null) await StoreRoom.WaitAsync(store, recorder);
                if (entry is null || !await RecordAsync(recorder, entry, e => error = e))
                {
                    skipped++;
                    if (skipped <= MaxErrorLines) await stderr.WriteLineAsync($"{command.LogPath}:{lines}: skipped: {error}");
                    else if (skipped == MaxErrorLines + 1) await stderr.WriteLineAsync($"{command.LogPath}: more skipped lines; only the count is reported from here on");
                    continue;
                }
                recorded++;
            }
        }

        var stats = await host.Services.GetRequiredService<IUsageStats>().GetAsync();
        await host.StopAsync();
        // The stats were asked before the stop, but sync delivers its tail during the stop (the shutdown flush):
        // report its final counters.
        if (host.Services.GetService<SyncStatus>()?.Current is { } finalSync) stats = stats with { Sync = finalSync };

        var report = new ReplayReport
        {
            Source = command.LogPath, Lines = lines, Recorded = recorded, SkippedLines = skipped, Stats = stats,
            Store = host.Services.GetRequiredService<IUsageStore>().Counters,
        };
        await stdout.WriteLineAsync(command.Format == "json" ? report.ToJson() : report.ToTable());
        return ExitCodes.Ok;
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

    /// <summary>Replay never drops: when the ring is full it waits for the pump and tries again.</summary>
    private static async ValueTask<bool> RecordAsync(UsageRecorder recorder, UsageLogEntry e, Action<string> onError)
    {
        var spins = 0;
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
            if (++spins < 64) Thread.Yield();
            else await Task.Delay(1);
        }
    }
}
