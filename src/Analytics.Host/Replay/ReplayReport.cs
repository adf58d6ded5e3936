using System.Globalization;
using System.Text;
using Analytics.Actors.Budgets;
using Analytics.Actors;
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

    /// <summary>The store's counters after the flush, or null when the store is off.</summary>
    public StoreCounters? Store { get; init; }

    /// <summary>Every budget window that saw spend, in time order, or null when no budget is configured.</summary>
    public IReadOnlyList<BudgetWindowReport>? Budgets { get; init; }

    /// <summary>The budgets' counters after the stop, or null when no budget is configured.</summary>
    public BudgetCounters? BudgetCounters { get; init; }
    /// <summary>This node's publishing into the cluster view, or null when the cluster is off.</summary>
    public ClusterPublishStatus? Cluster { get; init; }

    /// <summary>
    /// Writes the report as one JSON object, snake_case. Field names are a contract (scripts read them):
    /// add fields, never rename them.
    /// </summary>
    public string ToJson() => UsageReportJson.Object(w =>
    {
        w.WriteString("source", Source);
        w.WriteNumber("lines", Lines);
        w.WriteNumber("recorded", Recorded);
        w.WriteNumber("skipped_lines", SkippedLines);
        w.WriteNumber("dropped", Stats.Ingress.Dropped);
        w.WriteNumber("rejected", Stats.Ingress.Rejected);
        UsageReportJson.WriteBreakdowns(w, Stats);
        if (Stats.Sync is { } sync) UsageReportJson.WriteSync(w, sync);
        if (Store is { } store) UsageReportJson.WriteStore(w, store);
        if (Budgets is { } budgets && BudgetCounters is { } counters)
        {
            UsageReportJson.WriteBudgets(w, budgets);
            UsageReportJson.WriteBudgetEvaluation(w, counters);
        }
        if (Cluster is { } cluster)
        {
            w.WriteStartObject("cluster");
            w.WriteNumber("publish_rounds", cluster.Rounds);
            w.WriteNumber("updates", cluster.Updates);
            w.WriteNumber("write_timeouts", cluster.WriteTimeouts);
            w.WriteString("final_publish", FinalName(cluster.Final));
            if (cluster.FinalProblem is { } problem) w.WriteString("final_problem", problem);
            w.WriteEndObject();
        }
    });

    /// <summary>The final publish outcome as the report spells it.</summary>
    internal static string FinalName(ClusterFinalPublish final) => final switch
    {
        ClusterFinalPublish.AcknowledgedByAll => "acknowledged_by_all",
        ClusterFinalPublish.AcknowledgedByMajority => "acknowledged_by_majority",
        ClusterFinalPublish.NotAcknowledged => "not_acknowledged",
        _ => "not_yet",
    };

    /// <summary>Readable table: totals, models by cost, providers, agents.</summary>
    public string ToTable()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(c, $"Usage report for {Source}");
        sb.AppendLine(c, $"lines {Lines:N0}, recorded {Recorded:N0}, skipped {SkippedLines:N0}, dropped {Stats.Ingress.Dropped:N0}");
        sb.AppendLine();
        UsageTable.Breakdowns(sb, Stats);
        if (Store is { } st)
        {
            sb.AppendLine();
            sb.AppendLine(c, $"Store: {st.Inserted:N0} inserted, {st.Duplicates:N0} duplicates, {st.Expired:N0} expired, {st.Failed:N0} failed, {st.StoreDropped:N0} store-dropped");
        }
        if (Budgets is { } budgets && BudgetCounters is { } bc)
        {
            sb.AppendLine();
            sb.AppendLine(c, $"Budgets: {bc.Evaluated:N0} requests evaluated, {bc.Dropped:N0} not evaluated (queue full), {bc.Crossings:N0} thresholds crossed in this run");
            var width = Math.Max("budget".Length, budgets.Count == 0 ? 0 : budgets.Max(b => Math.Min(Text.Printable(b.Name).Length, 40)));
            sb.AppendLine(c, $"{"budget".PadRight(width)}  {"window_start",-20} {"spent_usd",16} {"limit_usd",16} {"percent",8}  thresholds_crossed");
            foreach (var b in budgets)
            {
                var name = Text.Printable(b.Name);
                if (name.Length > 40) name = name[..Text.CutAt(name, 37)] + "...";
                var percent = b.SpentMicros * 100d / b.LimitMicros;
                sb.AppendLine(c, $"{name.PadRight(width)}  {BudgetWindows.Iso(b.WindowStartMs),-20} {b.SpentMicros / 1_000_000m,16:N6} {b.LimitMicros / 1_000_000m,16:N6} {percent,7:N1}%  " +
                                 $"{(b.ThresholdsCrossed.IsEmpty ? "-" : string.Join(", ", b.ThresholdsCrossed))}{(b.Incomplete ? " (incomplete)" : "")}");
            }
        }
        if (Cluster is { } cl)
        {
            sb.AppendLine();
            sb.AppendLine(c, $"Cluster: {cl.Rounds:N0} publish rounds, {cl.WriteTimeouts:N0} write timeouts, final publish {FinalName(cl.Final)}");
        }
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
}
