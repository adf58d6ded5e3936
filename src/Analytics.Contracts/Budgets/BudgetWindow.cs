namespace Analytics.Contracts;

/// <summary>
/// The period a budget's limit applies to. Windows are UTC and calendar aligned: an hour starts on the hour, a day at
/// midnight UTC, a week on Monday at midnight UTC (ISO 8601), a month on its first day at midnight UTC.
/// </summary>
public enum BudgetWindow
{
    /// <summary>One UTC hour.</summary>
    Hour,

    /// <summary>One UTC day, midnight to midnight.</summary>
    Day,

    /// <summary>One ISO week: Monday 00:00 UTC to the next Monday 00:00 UTC.</summary>
    Week,

    /// <summary>One calendar month, from its first day 00:00 UTC to the next month's.</summary>
    Month,
}
