using System.Globalization;
using System.Text;
using System.Text.Json;
using Analytics.Actors.Reporting;
using Analytics.Actors.UsageLog;
using Analytics.Contracts;

namespace Analytics.Host.Replay;

/// <summary>What a replay did: the stats plus the line accounting.</summary>
internal sealed record ReplayReport
{
    public required string Source { get; init; }
    public required long Lines { get; init; }
    public required long Recorded { get; init; }
    public required long SkippedLines { get; init; }
    public required UsageStats Stats { get; init; }

    /// <summary>
    /// Writes the report as one JSON object, snake_case. Field names are a contract (scripts read them):
    /// add fields, never rename them.
    /// </summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("source", Source);
            w.WriteNumber("lines", Lines);
            w.WriteNumber("recorded", Recorded);
            w.WriteNumber("skipped_lines", SkippedLines);
            w.WriteNumber("dropped", Stats.Ingress.Dropped);
            w.WriteNumber("rejected", Stats.Ingress.Rejected);
            UsageReportJson.WriteBreakdowns(w, Stats);
            if (Stats.Sync is { } sync) UsageReportJson.WriteSync(w, sync);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Readable table: totals, models by cost, providers, agents.</summary>
    public string ToTable()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        var t = Stats.Totals;
        sb.AppendLine(c, $"Usage report for {Source}");
        sb.AppendLine(c, $"lines {Lines:N0}, recorded {Recorded:N0}, skipped {SkippedLines:N0}, dropped {Stats.Ingress.Dropped:N0}");
        sb.AppendLine();
        sb.AppendLine(c, $"Totals: {t.Requests:N0} requests ({t.Failed:N0} failed, success rate {t.SuccessRate:P2}), " +
                         $"{t.TotalTokens:N0} tokens, cost ${t.CostUsd:N6}, {t.UnpricedRequests:N0} unpriced");
        sb.AppendLine(c, $"        input {t.InputTokens:N0} (cache read {t.CacheReadInputTokens:N0}, cache write {t.CacheCreationInputTokens:N0}), " +
                         $"output {t.OutputTokens:N0} (reasoning {t.ReasoningTokens:N0}), avg ${t.AverageCostMicrosPerRequest / 1_000_000:N6}/request");
        Section(sb, "Model", Stats.ByModel);
        Section(sb, "Provider", Stats.ByProvider);
        if (Stats.ByAgent.Count > 0) Section(sb, "Agent", Stats.ByAgent);
        if (Stats.Sync is { } s)
        {
            sb.AppendLine();
            sb.Append(c, $"Sync: {s.Delivered:N0} delivered, {s.Duplicates:N0} duplicates, {s.Rejected:N0} rejected, ");
            sb.Append(c, $"{s.RetriedAttempts:N0} retried attempts, {s.SyncDropped:N0} sync-dropped, {s.Undelivered:N0} undelivered");
            if (s.DeadLetterWriteFailures > 0) sb.Append(c, $", {s.DeadLetterWriteFailures:N0} dead letters not written");
            sb.AppendLine();
        }
        return sb.ToString();
    }

    private static void Section(StringBuilder sb, string title, IReadOnlyDictionary<string, UsageRow> rows)
    {
        var c = CultureInfo.InvariantCulture;
        var width = title.Length;
        foreach (var key in rows.Keys) width = Math.Max(width, Math.Min(Text.Printable(key).Length, 48));
        sb.AppendLine();
        sb.AppendLine(c, $"{title.PadRight(width)}  {"requests",9} {"failed",7} {"input",13} {"output",12} {"cache_read",12} {"cache_write",12} {"reasoning",11} {"cost_usd",14} {"unpriced",8}");
        foreach (var (key, r) in UsageReportJson.SortedByCost(rows))
        {
            // A caller's key may hold a line break or other control character: shown escaped, it can never forge a row.
            var printable = Text.Printable(key);
            var name = printable.Length > 48 ? printable[..Text.CutAt(printable, 45)] + "..." : printable;
            sb.AppendLine(c, $"{name.PadRight(width)}  {r.Requests,9:N0} {r.Failed,7:N0} {r.InputTokens,13:N0} {r.OutputTokens,12:N0} {r.CacheReadInputTokens,12:N0} {r.CacheCreationInputTokens,12:N0} {r.ReasoningTokens,11:N0} {r.CostUsd,14:N6} {r.UnpricedRequests,8:N0}");
        }
    }
}
