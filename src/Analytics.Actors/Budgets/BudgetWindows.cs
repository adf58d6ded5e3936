using Analytics.Contracts;

namespace Analytics.Actors.Budgets;

/// <summary>
/// Calendar-aligned UTC windows in Unix milliseconds: hours, days, ISO weeks (Monday 00:00 UTC) and months. Timestamps
/// are those the recorder accepts (0 to the end of year 9999), so no arithmetic here can overflow.
/// </summary>
internal static class BudgetWindows
{
    public const long HourMs = 3_600_000;
    public const long DayMs = 86_400_000;
    public const long WeekMs = 7 * DayMs;

    /// <summary>The first instant after the last one a <see cref="DateTimeOffset"/> holds (10000-01-01T00:00Z).</summary>
    public const long EndOfTimeMs = 253_402_300_800_000;

    /// <summary>1970-01-01 was a Thursday: 3 days after the Monday that starts its ISO week.</summary>
    private const long EpochWeekdayFromMonday = 3;

    /// <summary>Start of the window of kind <paramref name="window"/> holding <paramref name="timestampMs"/>.</summary>
    public static long Start(BudgetWindow window, long timestampMs) => window switch
    {
        BudgetWindow.Hour => Floor(timestampMs, HourMs),
        BudgetWindow.Day => Floor(timestampMs, DayMs),
        BudgetWindow.Week => Floor(timestampMs + EpochWeekdayFromMonday * DayMs, WeekMs) - EpochWeekdayFromMonday * DayMs,
        BudgetWindow.Month => MonthStart(timestampMs),
        _ => throw new ArgumentOutOfRangeException(nameof(window), window, null),
    };

    /// <summary>End (exclusive) of the window of kind <paramref name="window"/> that starts at <paramref name="startMs"/>.</summary>
    public static long End(BudgetWindow window, long startMs) => window switch
    {
        BudgetWindow.Hour => startMs + HourMs,
        BudgetWindow.Day => startMs + DayMs,
        BudgetWindow.Week => startMs + WeekMs,
        BudgetWindow.Month => NextMonth(startMs),
        _ => throw new ArgumentOutOfRangeException(nameof(window), window, null),
    };

    /// <summary>A window bound as a <see cref="DateTimeOffset"/>; the end of year 9999 (which it cannot hold) becomes its last instant.</summary>
    public static DateTimeOffset ToDate(long ms) => ms >= EndOfTimeMs ? DateTimeOffset.MaxValue : DateTimeOffset.FromUnixTimeMilliseconds(ms);

    /// <summary>A window bound in ISO 8601 UTC, to the second (<c>2026-11-02T00:00:00Z</c>), as reports and the webhook write it.</summary>
    public static string Iso(long ms) => ToDate(ms).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static long Floor(long value, long unit)
    {
        var (quotient, rest) = Math.DivRem(value, unit);
        return (rest < 0 ? quotient - 1 : quotient) * unit;
    }

    private static long MonthStart(long timestampMs)
    {
        var t = DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(timestampMs, DateTimeOffset.MinValue.ToUnixTimeMilliseconds(), EndOfTimeMs - 1));
        return new DateTimeOffset(t.Year, t.Month, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    }

    private static long NextMonth(long startMs)
    {
        var t = DateTimeOffset.FromUnixTimeMilliseconds(startMs);
        return t.Year == 9999 && t.Month == 12 ? EndOfTimeMs : new DateTimeOffset(t.Year, t.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1).ToUnixTimeMilliseconds();
    }
}
