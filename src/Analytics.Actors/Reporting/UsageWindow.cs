using System.Globalization;
using Analytics.Actors.UsageLog;
using Analytics.Contracts;

namespace Analytics.Actors.Reporting;

/// <summary>
/// The window of a usage-history report as text gives it: <c>since</c>, <c>until</c> and <c>by</c>, shared by the
/// <c>stats</c> command's switches and the query string of <c>GET /v1/stats</c>, so both accept and refuse the same
/// values with the same messages; the caller names the parameter (<c>--since</c> on the command line, <c>since</c> in a
/// query string).
/// </summary>
internal static class UsageWindow
{
    /// <summary>
    /// ISO 8601 (a date is midnight UTC; a time without an offset is UTC) or Unix milliseconds (digits only); null when
    /// the text is neither.
    /// </summary>
    public static DateTimeOffset? ParseTime(string text)
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

    /// <summary>A time parameter, or the message that says what is wrong with it.</summary>
    public static DateTimeOffset? Time(string name, string value, out string? error)
    {
        var t = ParseTime(value);
        error = t is null ? $"{name} must be ISO 8601 (2026-11-01, 2026-11-01T13:00:00Z) or Unix milliseconds (got '{Text.Shorten(value)}')" : null;
        return t;
    }

    /// <summary><c>hour</c> or <c>day</c>, or the message that says what is wrong.</summary>
    public static UsageBucketSize? Bucket(string name, string value, out string? error)
    {
        error = null;
        switch (value)
        {
            case "hour": return UsageBucketSize.Hour;
            case "day": return UsageBucketSize.Day;
            default:
                error = $"{name} must be 'hour' or 'day' (got '{Text.Shorten(value)}')";
                return null;
        }
    }

    /// <summary>A problem with the two ends together, or null.</summary>
    public static string? Problem(string sinceName, DateTimeOffset? since, string untilName, DateTimeOffset? until) => since is { } s && until is { } u && s >= u
        ? string.Create(CultureInfo.InvariantCulture, $"{sinceName} ({s:yyyy-MM-ddTHH:mm:ssZ}) must be before {untilName} ({u:yyyy-MM-ddTHH:mm:ssZ})")
        : null;

    /// <summary>The name of a bucket width in reports and parameters.</summary>
    public static string Name(UsageBucketSize by) => by == UsageBucketSize.Hour ? "hour" : "day";

    /// <summary>A report's time: ISO 8601 UTC to the second.</summary>
    public static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
