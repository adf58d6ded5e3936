using System.Globalization;
using System.Text;
using Analytics.Actors.Reporting;
using Analytics.Contracts;

namespace Analytics.Host.Stats;

/// <summary>The <c>stats</c> report: the replay report's breakdowns for a stored window, plus its buckets.</summary>
internal sealed record StatsReport(string Ledger, UsageHistory History)
{
    /// <summary>One JSON object: the history report shared with the service's <c>GET /v1/stats</c> (<see cref="UsageReportJson.History"/>).</summary>
    public string ToJson() => UsageReportJson.History(Ledger, History);

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

    private static string Iso(DateTimeOffset t) => UsageWindow.Iso(t);

    private static string Name(UsageBucketSize by) => UsageWindow.Name(by);
}
