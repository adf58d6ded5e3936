using System.Globalization;
using System.Text;
using Analytics.Actors.Reporting;
using Analytics.Contracts;

namespace Analytics.Host.Stats;

/// <summary>The <c>stats</c> report: the replay report's breakdowns for a stored window, plus its buckets.</summary>
internal sealed record StatsReport(string Ledger, UsageHistory History)
{
    /// <summary>
    /// One JSON object, snake_case: <c>ledger</c>, <c>since</c>, <c>until</c>, <c>by</c> (with <c>--by</c>), the replay
    /// report's <c>totals</c>, <c>by_model</c>, <c>by_provider</c>, <c>by_agent</c>, and with <c>--by</c> the
    /// <c>buckets</c>, each with its <c>start</c> and the same four fields. Field names are a contract: add, never rename.
    /// </summary>
    public string ToJson() => UsageReportJson.Object(w =>
    {
        w.WriteString("ledger", Ledger);
        w.WriteString("since", Iso(History.Since));
        w.WriteString("until", Iso(History.Until));
        if (History.BucketSize is { } by) w.WriteString("by", Name(by));
        UsageReportJson.WriteBreakdowns(w, History);
        if (History.BucketSize is null) return;
        w.WriteStartArray("buckets");
        foreach (var bucket in History.Buckets)
        {
            w.WriteStartObject();
            w.WriteString("start", Iso(bucket.Start));
            UsageReportJson.WriteBreakdowns(w, bucket);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    });

    /// <summary>Readable: the window, its breakdowns, then one line per bucket.</summary>
    public string ToTable()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(c, $"Stored usage in {Ledger}, {Iso(History.Since)} to {Iso(History.Until)}");
        sb.AppendLine();
        UsageTable.Breakdowns(sb, History);
        if (History.BucketSize is { } by)
        {
            sb.AppendLine();
            sb.AppendLine(c, $"{"By " + Name(by) + " (UTC)",-22}  {"requests",9} {"failed",7} {"tokens",14} {"cost_usd",14} {"unpriced",8}");
            foreach (var b in History.Buckets)
            {
                var t = b.Totals;
                sb.AppendLine(c, $"{Iso(b.Start),-22}  {t.Requests,9:N0} {t.Failed,7:N0} {t.TotalTokens,14:N0} {t.CostUsd,14:N6} {t.UnpricedRequests,8:N0}");
            }
        }
        return sb.ToString();
    }

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Name(UsageBucketSize by) => by == UsageBucketSize.Hour ? "hour" : "day";
}
