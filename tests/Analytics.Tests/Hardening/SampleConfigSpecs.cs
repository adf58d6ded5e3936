using System.Globalization;
using System.Text.RegularExpressions;
using Analytics.Tests.Sync;
using Microsoft.Extensions.Configuration;

namespace Analytics.Tests.Hardening;

/// <summary>
/// config/analytics.sample.json documents a range for every bounded setting (issue 9, item 12: it documented a
/// <c>ReloadDelay</c> range the code did not enforce). Each documented range is checked against the validator: both ends
/// are accepted, and one step past the top (and below the bottom) is refused with an error naming the key.
/// </summary>
public sealed partial class SampleConfigSpecs
{
    public static TheoryData<string, string, string, bool> DocumentedRanges()
    {
        var data = new TheoryData<string, string, string, bool>();
        var sections = new List<string>();
        string? lastComment = null;
        foreach (var raw in File.ReadLines(Path.Combine(SyncTestSupport.RepoRoot(), "config", "analytics.sample.json")))
        {
            var line = raw.Trim();
            if (line.StartsWith("//", StringComparison.Ordinal))
            {
                lastComment = line;
                continue;
            }
            var open = SectionStart().Match(line);
            if (open.Success)
            {
                sections.Add(open.Groups[1].Value);
                lastComment = null;
                continue;
            }
            if (line.StartsWith('}') && sections.Count > 0)
            {
                sections.RemoveAt(sections.Count - 1);
                continue;
            }
            var key = KeyLine().Match(line);
            if (key.Success && lastComment is not null && Range().Matches(lastComment) is { Count: > 0 } ranges)
            {
                var range = ranges[^1];
                // "0 = auto; 1..64": a special value below the range is valid, so only the top end is checked beyond it.
                var belowIsSpecial = lastComment.Contains("0 =", StringComparison.Ordinal);
                data.Add(string.Join(':', [.. sections, key.Groups[1].Value]), range.Groups[1].Value, range.Groups[2].Value, !belowIsSpecial);
            }
            if (key.Success) lastComment = null;
        }
        return data;
    }

    [Fact]
    public void The_sample_documents_ranges_for_the_settings_that_have_them()
    {
        var keys = DocumentedRanges().Select(row => (string)row[0]).ToList();
        Assert.Contains("Analytics:Pricing:ReloadDelay", keys);
        Assert.Contains("Analytics:BufferCapacity", keys);
        Assert.Contains("Analytics:Sync:RetryBudget", keys);
        Assert.Contains("Analytics:Ingest:MaxBodyBytes", keys);
        Assert.Contains("Analytics:Ingest:RoomWait", keys);
        Assert.Contains("Analytics:Budgets:all-daily:LimitUsd", keys);
        Assert.Contains("Analytics:Budgets:all-daily:Thresholds", keys);
        Assert.True(keys.Count >= 15, string.Join(", ", keys));
    }

    [Theory]
    [MemberData(nameof(DocumentedRanges))]
    public void A_documented_range_is_the_range_the_validator_enforces(string key, string min, string max, bool checkBelow)
    {
        Assert.Empty(Problems(key, min));
        Assert.Empty(Problems(key, max));
        Assert.NotEmpty(Problems(key, Step(max, +1)));
        if (checkBelow) Assert.NotEmpty(Problems(key, Step(min, -1)));
    }

    // Integers step by 1, durations (they hold ':') by a millisecond, amounts in USD (a '.' and no ':') by a microdollar.
    private static string Step(string value, int direction) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            ? (n + direction).ToString(CultureInfo.InvariantCulture)
            : !value.Contains(':') && decimal.TryParse(value, NumberStyles.Number, CultureInfo.InvariantCulture, out var usd)
                ? (usd + direction * 0.000001m).ToString(CultureInfo.InvariantCulture)
                : (TimeSpan.Parse(value, CultureInfo.InvariantCulture) + TimeSpan.FromMilliseconds(direction)).ToString("c", CultureInfo.InvariantCulture);

    /// <summary>The validator's complaints about <paramref name="key"/> when it alone is set to <paramref name="value"/>.</summary>
    private static List<string> Problems(string key, string value)
    {
        var settings = new Dictionary<string, string?> { [key] = value };
        if (key.StartsWith("Analytics:Sync:", StringComparison.Ordinal))
        {
            // Sync settings are checked only when sync is on; the back-off pair is kept consistent so only the key under test can fail.
            settings.TryAdd("Analytics:Sync:Endpoint", "https://control.example.com");
            settings.TryAdd("Analytics:Sync:Token", "t");
            settings.TryAdd("Analytics:Sync:DeadLetterPath", SyncTestSupport.TempFile("sample-dl.jsonl"));
            if (key.EndsWith(":MaxRetryDelay", StringComparison.Ordinal)) settings.TryAdd("Analytics:Sync:RetryDelay", "00:00:00.001");
            if (key.EndsWith(":RetryDelay", StringComparison.Ordinal)) settings.TryAdd("Analytics:Sync:MaxRetryDelay", "01:00:00");
        }
        // Store settings likewise are checked only when the store is on.
        if (key.StartsWith("Analytics:Store:", StringComparison.Ordinal)) settings.TryAdd("Analytics:Store:Path", SyncTestSupport.TempFile("sample.db"));
        if (key.StartsWith("Analytics:Budgets:", StringComparison.Ordinal))
        {
            // A budget needs a scope and a limit; a list (Thresholds) is set through its first item.
            var budget = key[..key.LastIndexOf(':')];
            settings.TryAdd($"{budget}:Agent", "*");
            settings.TryAdd($"{budget}:LimitUsd", "1");
            if (key.EndsWith(":Thresholds", StringComparison.Ordinal))
            {
                settings.Remove(key);
                settings[key + ":0"] = value;
                key += ":0";
            }
        }
        var options = Analytics.Actors.Budgets.BudgetsBinding.Bind(new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection("Analytics"));
        var result = new AnalyticsOptionsValidator().Validate(null, options);
        return result.Failed ? result.Failures!.Where(f => f.StartsWith(key + " ", StringComparison.Ordinal)).ToList() : [];
    }

    [GeneratedRegex("""^"([\w.-]+)":\s*\{$""")]
    private static partial Regex SectionStart();

    [GeneratedRegex("""^(?://\s*)?"(\w+)":\s*[^{]""")]
    private static partial Regex KeyLine();

    [GeneratedRegex("""(\d[\d:.]*)\.\.(\d[\d:.]*\d)""")]
    private static partial Regex Range();
}
