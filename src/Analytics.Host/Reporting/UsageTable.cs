using System.Globalization;
using System.Text;
using Analytics.Actors.Reporting;
using Analytics.Actors.UsageLog;
using Analytics.Contracts;

namespace Analytics.Host;

/// <summary>The readable form of a usage breakdown, shared by the <c>replay</c> and <c>stats</c> tables.</summary>
internal static class UsageTable
{
    /// <summary>Totals, then models by cost, providers, and agents when there are any.</summary>
    public static void Breakdowns(StringBuilder sb, UsageBreakdown usage)
    {
        var c = CultureInfo.InvariantCulture;
        var t = usage.Totals;
        sb.AppendLine(c, $"Totals: {t.Requests:N0} requests ({t.Failed:N0} failed, success rate {t.SuccessRate:P2}), " +
                         $"{t.TotalTokens:N0} tokens, cost ${t.CostUsd:N6}, {t.UnpricedRequests:N0} unpriced");
        sb.AppendLine(c, $"        input {t.InputTokens:N0} (cache read {t.CacheReadInputTokens:N0}, cache write {t.CacheCreationInputTokens:N0}), " +
                         $"output {t.OutputTokens:N0} (reasoning {t.ReasoningTokens:N0}), avg ${t.AverageCostMicrosPerRequest / 1_000_000:N6}/request");
        if (Latency(t) is { } latency) sb.AppendLine(c, $"        latency {latency}");
        Section(sb, "Model", usage.ByModel);
        Section(sb, "Provider", usage.ByProvider);
        if (usage.ByAgent.Count > 0) Section(sb, "Agent", usage.ByAgent);
    }

    /// <summary>"duration p50/p95/p99 840/1,200/2,400 ms, ..." for the latencies the row has percentiles of, or null.</summary>
    private static string? Latency(UsageRow row)
    {
        var c = CultureInfo.InvariantCulture;
        var parts = new List<string>(2);
        if (row.DurationMsPercentiles is { } d) parts.Add(string.Create(c, $"duration p50/p95/p99 {d.P50:N0}/{d.P95:N0}/{d.P99:N0} ms"));
        if (row.TimeToFirstTokenMsPercentiles is { } t) parts.Add(string.Create(c, $"time to first token p50/p95/p99 {t.P50:N0}/{t.P95:N0}/{t.P99:N0} ms"));
        return parts.Count == 0 ? null : string.Join(", ", parts);
    }

    private static void Section(StringBuilder sb, string title, IReadOnlyDictionary<string, UsageRow> rows)
    {
        var c = CultureInfo.InvariantCulture;
        var width = title.Length;
        var latency = false;
        foreach (var (key, row) in rows)
        {
            width = Math.Max(width, Math.Min(Text.Printable(key).Length, 48));
            latency |= row.DurationMsPercentiles is not null || row.TimeToFirstTokenMsPercentiles is not null;
        }
        sb.AppendLine();
        sb.Append(c, $"{title.PadRight(width)}  {"requests",9} {"failed",7} {"input",13} {"output",12} {"cache_read",12} {"cache_write",12} {"reasoning",11} {"cost_usd",14} {"unpriced",8}");
        // Latency columns (ms) only when a row of the section has percentiles, so reports of logs without timings stay narrow.
        sb.AppendLine(latency ? $" {"dur_p50",9} {"dur_p95",9} {"dur_p99",9} {"ttft_p50",9} {"ttft_p95",9} {"ttft_p99",9}" : "");
        foreach (var (key, r) in UsageReportJson.SortedByCost(rows))
        {
            // A caller's key may hold a line break or other control character: shown escaped, it can never forge a row.
            var printable = Text.Printable(key);
            var name = printable.Length > 48 ? printable[..Text.CutAt(printable, 45)] + "..." : printable;
            sb.Append(c, $"{name.PadRight(width)}  {r.Requests,9:N0} {r.Failed,7:N0} {r.InputTokens,13:N0} {r.OutputTokens,12:N0} {r.CacheReadInputTokens,12:N0} {r.CacheCreationInputTokens,12:N0} {r.ReasoningTokens,11:N0} {r.CostUsd,14:N6} {r.UnpricedRequests,8:N0}");
            sb.AppendLine(latency ? $"{Columns(r.DurationMsPercentiles)}{Columns(r.TimeToFirstTokenMsPercentiles)}" : "");
        }
    }

    private static string Columns(LatencyPercentiles? p)
        => p is null ? $" {"-",9} {"-",9} {"-",9}" : string.Create(CultureInfo.InvariantCulture, $" {p.P50,9:N0} {p.P95,9:N0} {p.P99,9:N0}");
}
