using Analytics.Actors.Reporting;
using Analytics.Contracts;

namespace Analytics.Host.Stats;

/// <summary>The <c>stats</c> switches (<c>--since</c>, <c>--until</c>, <c>--by</c>) as the command line meets them.</summary>
internal sealed class StatsWindowArguments(bool allowed)
{
    private string? _problem;

    public DateTimeOffset? Since { get; private set; }

    public DateTimeOffset? Until { get; private set; }

    public UsageBucketSize? By { get; private set; }

    /// <summary>Takes one of the three switches at <paramref name="i"/>; false when the argument is something else.</summary>
    public bool TryTake(string[] args, ref int i, ref string? error)
    {
        foreach (var name in (ReadOnlySpan<string>)["--since", "--until", "--by"])
        {
            if (!CommandLine.TryOption(args, ref i, name, out var value, ref error))
            {
                if (error is not null) return false;
                continue;
            }
            if (!allowed)
            {
                error = $"{name} is an option of stats only";
                return false;
            }
            switch (name)
            {
                case "--since": Since = Time(name, value!); break;
                case "--until": Until = Time(name, value!); break;
                default: By = Bucket(value!); break;
            }
            if (_problem is not null)
            {
                error = _problem;
                return false;
            }
            return true;
        }
        return false;
    }

    /// <summary>A problem with the switches together, or null.</summary>
    public string? Problem() => UsageWindow.Problem("--since", Since, "--until", Until);

    /// <summary>ISO 8601 or Unix milliseconds (see <see cref="UsageWindow.ParseTime"/>).</summary>
    internal static DateTimeOffset? ParseTime(string text) => UsageWindow.ParseTime(text);

    private DateTimeOffset? Time(string name, string value)
    {
        var t = UsageWindow.Time(name, value, out var error);
        _problem ??= error;
        return t;
    }

    private UsageBucketSize? Bucket(string value)
    {
        var by = UsageWindow.Bucket("--by", value, out var error);
        _problem ??= error;
        return by;
    }
}
