namespace Analytics.Actors.UsageLog;

/// <summary>Small text rules shared by every parser that quotes input back in an error message.</summary>
internal static class Text
{
    /// <summary>
    /// The start of <paramref name="s"/> for an error message: at most <paramref name="max"/> characters, then
    /// <c>...</c>, so a huge or hostile value never floods a log line.
    /// </summary>
    public static string Shorten(string s, int max = 40) => s.Length <= max ? s : s[..max] + "...";
}
