using System.Globalization;
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
    public string? Problem() => Since is { } s && Until is { } u && s >= u
        ? string.Create(CultureInfo.InvariantCulture, $"--since ({s:yyyy-MM-ddTHH:mm:ssZ}) must be before --until ({u:yyyy-MM-ddTHH:mm:ssZ})")
        : null;

    /// <summary>
    /// ISO 8601 (a date is midnight UTC; a time without an offset is UTC) or Unix milliseconds (digits only).
    /// </summary>
    internal static DateTimeOffset? ParseTime(string text)
    {
        text = text.Trim();
        if (text.Length > 0 && text.All(char.IsAsciiDigit))
        {
            return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms <= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()
                ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
                : null;
        }
        // Digits and dashes first, so "2026-11-01" is a date and not some culture's reading of it.
        string[] formats = ["yyyy-MM-dd", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", "yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"];
        return DateTimeOffset.TryParseExact(text, formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
            ? t
            : null;
    }

    private DateTimeOffset? Time(string name, string value)
    {
        var t = ParseTime(value);
        if (t is null) _problem = $"{name} must be ISO 8601 (2026-11-01, 2026-11-01T13:00:00Z) or Unix milliseconds (got '{value}')";
        return t;
    }

    private UsageBucketSize? Bucket(string value)
    {
        switch (value)
        {
            case "hour": return UsageBucketSize.Hour;
            case "day": return UsageBucketSize.Day;
            default:
                _problem = $"--by must be 'hour' or 'day' (got '{value}')";
                return null;
        }
    }
}
