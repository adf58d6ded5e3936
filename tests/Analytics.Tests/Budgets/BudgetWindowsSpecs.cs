using System.Globalization;
using Analytics.Actors.Budgets;

namespace Analytics.Tests.Budgets;

/// <summary>UTC calendar windows: checked against <see cref="DateTime"/>'s calendar (and <see cref="ISOWeek"/>), not against the arithmetic under test.</summary>
public sealed class BudgetWindowsSpecs
{
    private static long Ms(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUnixTimeMilliseconds();

    [Theory]
    [InlineData(BudgetWindow.Hour, "2026-03-11T13:59:59.999Z", "2026-03-11T13:00:00Z", "2026-03-11T14:00:00Z")]
    [InlineData(BudgetWindow.Day, "2026-03-11T23:59:59.999Z", "2026-03-11T00:00:00Z", "2026-03-12T00:00:00Z")]
    [InlineData(BudgetWindow.Week, "2026-03-15T23:59:59.999Z", "2026-03-09T00:00:00Z", "2026-03-16T00:00:00Z")] // Sunday belongs to the week of Monday the 9th
    [InlineData(BudgetWindow.Week, "2026-03-16T00:00:00Z", "2026-03-16T00:00:00Z", "2026-03-23T00:00:00Z")] // Monday starts one
    [InlineData(BudgetWindow.Week, "1970-01-01T00:00:00Z", "1969-12-29T00:00:00Z", "1970-01-05T00:00:00Z")] // the epoch was a Thursday
    [InlineData(BudgetWindow.Month, "2028-02-29T12:00:00Z", "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z")]
    [InlineData(BudgetWindow.Month, "2026-12-31T23:59:59.999Z", "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z")]
    public void A_timestamp_falls_in_its_calendar_window(BudgetWindow window, string at, string start, string end)
    {
        var s = BudgetWindows.Start(window, Ms(at));
        Assert.Equal(Ms(start), s);
        Assert.Equal(Ms(end), BudgetWindows.End(window, s));
    }

    [Fact]
    public void The_last_month_a_timestamp_can_have_ends_at_the_end_of_time()
    {
        var s = BudgetWindows.Start(BudgetWindow.Month, BudgetWindows.EndOfTimeMs - 1);
        Assert.Equal(Ms("9999-12-01T00:00:00Z"), s);
        Assert.Equal(BudgetWindows.EndOfTimeMs, BudgetWindows.End(BudgetWindow.Month, s));
        Assert.Equal(DateTimeOffset.MaxValue, BudgetWindows.ToDate(BudgetWindows.End(BudgetWindow.Month, s)));
    }

    [Fact]
    public void Random_timestamps_agree_with_the_calendar()
    {
        var random = new Random(14);
        for (var i = 0; i < 5_000; i++)
        {
            var ms = random.NextInt64(0, BudgetWindows.EndOfTimeMs);
            var t = DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime;
            var day = t.Date;
            var monday = day.AddDays(-((7 + (int)day.DayOfWeek - (int)DayOfWeek.Monday) % 7));
            Assert.Equal(ISOWeek.GetWeekOfYear(monday), ISOWeek.GetWeekOfYear(day));
            Assert.Equal(new DateTimeOffset(t.Year, t.Month, t.Day, t.Hour, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), BudgetWindows.Start(BudgetWindow.Hour, ms));
            Assert.Equal(new DateTimeOffset(day, TimeSpan.Zero).ToUnixTimeMilliseconds(), BudgetWindows.Start(BudgetWindow.Day, ms));
            Assert.Equal(new DateTimeOffset(monday, TimeSpan.Zero).ToUnixTimeMilliseconds(), BudgetWindows.Start(BudgetWindow.Week, ms));
            Assert.Equal(new DateTimeOffset(t.Year, t.Month, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), BudgetWindows.Start(BudgetWindow.Month, ms));
        }
    }

    [Fact]
    public void Iso_form_is_utc_to_the_second()
        => Assert.Equal("2026-03-09T00:00:00Z", BudgetWindows.Iso(Ms("2026-03-09T00:00:00Z")));
}
