using Analytics.Contracts;
using Analytics.Host.Stats;

namespace Analytics.Host;

/// <summary>The parsed command line of the host.</summary>
internal sealed record CommandLine
{
    public const string Usage =
        """
        usage: Analytics.Host replay <usage-log.jsonl> [--format table|json] [--config <settings.json>] [--Analytics:Key=value ...]
               Analytics.Host stats [--since T] [--until T] [--by hour|day] [--format table|json] [--config ...] [--Analytics:Key=value ...]
               Analytics.Host sync [--format table|json] [--config ...] [--Analytics:Key=value ...]
               Analytics.Host serve [--urls URL] [--config ...] [--Analytics:Key=value ...]

          replay     record every line of a JSON Lines usage log through the recorder and print a usage report
                     (and store it in the ledger, analytics.db by default; --Analytics:Store:Path= turns the store off)
          stats      print the stored usage of a window from the ledger (no replay): totals, by model, provider, agent
          --since T  start of the window (default: the first stored hour); T is ISO 8601 (2026-11-01,
                     2026-11-01T13:00:00Z) or Unix milliseconds; the window widens to whole UTC hours
          --until T  end of the window, exclusive (default: now)
          --by       hour or day: also print UTC buckets that add up to the window
          sync       deliver every undelivered event in the ledger to Analytics:Sync:Endpoint; exit 1 if any remain
          serve      run as a service until SIGTERM or Ctrl-C (then flush and exit 0): POST /v1/events (ingest), GET /v1/stats,
                     /metrics, /health/live, /health/ready, and the dashboard at /
          --urls     where serve listens (default http://127.0.0.1:5080; several separated by ';')
          --format   table (default, readable) or json (one JSON object on stdout, snake_case)
          --config   an extra JSON settings file layered over the defaults (see config/analytics.sample.json)
          --Analytics:Key=value   any configuration key, as in appsettings.json (also settable as Analytics__Key env vars)

        exit codes:
          0    every line recorded or skipped (skipped lines are listed on stderr), everything recorded delivered
          1    unexpected failure (one line on stderr; the report still covers what was recorded when possible)
          2    bad arguments, configuration or input (missing, unreadable or not UTF-8 usage log, invalid setting)
          3    report printed, but events were dropped, rejected, left undelivered, or their dead letters not written
          130  stopped by SIGINT, 143 by SIGTERM (the first one drains, flushes and reports; a second one stops at once)
        """;

    public required string Command { get; init; }

    /// <summary>The usage log (<c>replay</c> only; empty otherwise).</summary>
    public string LogPath { get; init; } = "";
    public string Format { get; init; } = "table";
    public string? ConfigFile { get; init; }

    /// <summary>Arguments handed to the configuration system (<c>--Section:Key=value</c> switches).</summary>
    public IReadOnlyList<string> ConfigurationArgs { get; init; } = [];

    /// <summary><c>stats --since</c>, or null.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary><c>stats --until</c>, or null.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary><c>stats --by</c>, or null.</summary>
    public UsageBucketSize? By { get; init; }

    /// <summary><c>serve --urls</c>, or null for the default.</summary>
    public string? Urls { get; init; }

    /// <summary>Parses <paramref name="args"/>; on failure returns null and a one-line reason.</summary>
    public static CommandLine? Parse(string[] args, out string? error)
    {
        error = null;
        if (args.Length == 0)
        {
            error = "no command given (expected: replay <usage-log.jsonl>, stats, sync or serve)";
            return null;
        }
        if (args[0] is not ("replay" or "stats" or "sync" or "serve"))
        {
            error = $"unknown command '{args[0]}' (expected: replay, stats, sync or serve)";
            return null;
        }

        var window = new StatsWindowArguments(args[0] == "stats");
        string? path = null, format = null, config = null, urls = null;
        var configArgs = new List<string>();
        for (var i = 1; i < args.Length; i++)
        {
            var arg = args[i];
            if (TryOption(args, ref i, "--format", out var value, ref error)) format = value;
            else if (error is null && TryOption(args, ref i, "--config", out value, ref error)) config = value;
            else if (error is null && TryOption(args, ref i, "--urls", out value, ref error))
            {
                if (args[0] != "serve")
                {
                    error = "--urls is an option of serve only";
                    return null;
                }
                if (string.IsNullOrWhiteSpace(value))
                {
                    error = "--urls needs at least one URL (for example http://127.0.0.1:5080)";
                    return null;
                }
                urls = value;
            }
            else if (error is null && window.TryTake(args, ref i, ref error)) continue;
            else if (error is not null) return null;
            else if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Contains(':'))
            {
                configArgs.Add(arg);
                // "--Section:Key value" form: keep the value with its key.
                if (!arg.Contains('=') && i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) configArgs.Add(args[++i]);
            }
            else if (arg.StartsWith('-'))
            {
                error = $"unknown option '{arg}'";
                return null;
            }
            else if (args[0] != "replay")
            {
                error = $"unexpected argument '{arg}' ({args[0]} takes no file)";
                return null;
            }
            else if (path is null) path = arg;
            else
            {
                error = $"unexpected argument '{arg}' (only one usage log can be replayed)";
                return null;
            }
        }

        if (path is null && args[0] == "replay")
        {
            error = "replay needs a usage log path";
            return null;
        }
        format ??= "table";
        if (format is not ("table" or "json"))
        {
            error = $"--format must be 'table' or 'json' (got '{format}')";
            return null;
        }
        if (window.Problem() is { } problem)
        {
            error = problem;
            return null;
        }
        return new CommandLine
        {
            Command = args[0], LogPath = path ?? "", Format = format, ConfigFile = config, ConfigurationArgs = configArgs,
            Since = window.Since, Until = window.Until, By = window.By, Urls = urls,
        };
    }

    /// <summary>Takes <c>--name value</c> or <c>--name=value</c> at <paramref name="i"/>; false when the argument is another one.</summary>
    internal static bool TryOption(string[] args, ref int i, string name, out string? value, ref string? error)
    {
        value = null;
        var arg = args[i];
        if (arg.StartsWith(name + "=", StringComparison.Ordinal))
        {
            value = arg[(name.Length + 1)..];
            return true;
        }
        if (arg != name) return false;
        if (i + 1 >= args.Length)
        {
            error = $"{name} needs a value";
            return false;
        }
        value = args[++i];
        return true;
    }
}
