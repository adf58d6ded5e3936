using System.Globalization;

namespace Analytics.Actors.Pricing;

/// <summary>String rules about model names shared by the price table and its tests.</summary>
internal static class ModelNames
{
    /// <summary>
    /// Splits a trailing snapshot date off a model name: <c>-YYYY-MM-DD</c> (OpenAI), <c>-YYYYMMDD</c> (Anthropic)
    /// or <c>@YYYYMMDD</c> (Vertex). Only plausible dates count (year 2000..2099, month 01..12, day 01..31), so
    /// version numbers such as <c>-12345678</c> stay part of the name.
    /// </summary>
    /// <param name="name">The model name.</param>
    /// <param name="stem">The name without the date and its separator.</param>
    /// <param name="compactDate">The date as <c>YYYYMMDD</c> (allocated only for the dashed form).</param>
    /// <param name="separator"><c>-</c> or <c>@</c>.</param>
    /// <returns>True when the name ends in a date.</returns>
    public static bool TrySplitDate(string name, out ReadOnlySpan<char> stem, out string compactDate, out char separator)
    {
        var s = name.AsSpan();
        stem = default;
        compactDate = "";
        separator = '\0';
        // -YYYY-MM-DD
        if (s.Length > 11 && s[^11] == '-' && s[^6] == '-' && s[^3] == '-'
            && IsDate(s.Slice(s.Length - 10, 4), s.Slice(s.Length - 5, 2), s.Slice(s.Length - 2, 2)))
        {
            stem = s[..^11];
            compactDate = string.Concat(s.Slice(s.Length - 10, 4), s.Slice(s.Length - 5, 2), s.Slice(s.Length - 2, 2));
            separator = '-';
            return true;
        }
        // -YYYYMMDD or @YYYYMMDD
        if (s.Length > 9 && (s[^9] == '-' || s[^9] == '@')
            && IsDate(s.Slice(s.Length - 8, 4), s.Slice(s.Length - 4, 2), s.Slice(s.Length - 2, 2)))
        {
            stem = s[..^9];
            compactDate = name[^8..];
            separator = s[^9];
            return true;
        }
        return false;
    }

    private static bool IsDate(ReadOnlySpan<char> year, ReadOnlySpan<char> month, ReadOnlySpan<char> day)
    {
        if (!AllDigits(year) || !AllDigits(month) || !AllDigits(day)) return false;
        var y = int.Parse(year, CultureInfo.InvariantCulture);
        var m = int.Parse(month, CultureInfo.InvariantCulture);
        var d = int.Parse(day, CultureInfo.InvariantCulture);
        return y is >= 2000 and <= 2099 && m is >= 1 and <= 12 && d is >= 1 and <= 31;
    }

    /// <summary>True when <paramref name="s"/> is one or more ASCII digits.</summary>
    public static bool AllDigits(ReadOnlySpan<char> s) => !s.IsEmpty && !s.ContainsAnyExceptInRange('0', '9');
}
