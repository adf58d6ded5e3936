using System.Text.Json;
using Analytics.Actors.Budgets;
using Analytics.Actors.UsageLog;
using Analytics.Contracts;

namespace Analytics.Actors.Reporting;

/// <summary>
/// The usage report's JSON, shared by every command and endpoint that prints one (<c>replay</c>, <c>stats</c>, the
/// service's <c>GET /v1/stats</c>): snake_case, rows driven by <see cref="UsageCounters.All"/>, keys sorted by cost. Field
/// names are a contract (scripts read them): add fields, never rename them.
/// </summary>
internal static class UsageReportJson
{
    /// <summary>One indented JSON object, its fields written by <paramref name="fields"/>: the frame of every report.</summary>
    public static string Object(Action<Utf8JsonWriter> fields)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            fields(w);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// The usage-history report of the <c>stats</c> command and of <c>GET /v1/stats</c>, one JSON object, snake_case:
    /// <c>ledger</c>, <c>since</c>, <c>until</c>, <c>by</c> (with a bucket width), <c>totals</c>, <c>by_model</c>,
    /// <c>by_provider</c>, <c>by_agent</c>, and with a bucket width the <c>buckets</c>, each with its <c>start</c> and the
    /// same four fields. <paramref name="more"/> appends fields after these (the service's live counters), so both
    /// producers share every field they have in common, byte for byte.
    /// </summary>
    public static string History(string ledger, UsageHistory history, Action<Utf8JsonWriter>? more = null) => Object(w =>
    {
        w.WriteString("ledger", ledger);
        w.WriteString("since", UsageWindow.Iso(history.Since));
        w.WriteString("until", UsageWindow.Iso(history.Until));
        if (history.BucketSize is { } by) w.WriteString("by", UsageWindow.Name(by));
        WriteBreakdowns(w, history);
        if (history.BucketSize is not null)
        {
            w.WriteStartArray("buckets");
            foreach (var bucket in history.Buckets)
            {
                w.WriteStartObject();
                w.WriteString("start", UsageWindow.Iso(bucket.Start));
                WriteBreakdowns(w, bucket);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        more?.Invoke(w);
    });

    /// <summary><c>totals</c>, <c>by_model</c>, <c>by_provider</c>, <c>by_agent</c> of live stats, a stored window or one of its buckets.</summary>
    public static void WriteBreakdowns(Utf8JsonWriter w, UsageBreakdown usage)
    {
        w.WritePropertyName("totals");
        WriteRow(w, usage.Totals);
        WriteRows(w, "by_model", usage.ByModel);
        WriteRows(w, "by_provider", usage.ByProvider);
        WriteRows(w, "by_agent", usage.ByAgent);
    }

    /// <summary>The <c>store</c> object: what this run's events did to the ledger.</summary>
    public static void WriteStore(Utf8JsonWriter w, StoreCounters store)
    {
        w.WriteStartObject("store");
        w.WriteNumber("handed_to_store", store.HandedToStore);
        w.WriteNumber("inserted", store.Inserted);
        w.WriteNumber("duplicates", store.Duplicates);
        w.WriteNumber("expired", store.Expired);
        w.WriteNumber("failed", store.Failed);
        w.WriteNumber("store_dropped", store.StoreDropped);
        w.WriteNumber("pending", store.Pending);
        w.WriteEndObject();
    }

    /// <summary>
    /// The <c>budgets</c> array: one object per budget window (<c>name</c>, <c>window_start</c> and <c>window_end</c> in
    /// ISO 8601 UTC, <c>spent_micros</c>, <c>limit_micros</c>, <c>thresholds_crossed</c>, <c>incomplete</c>). Replay
    /// writes every window that saw spend; a list of the current windows maps each <see cref="BudgetStatus"/> with
    /// <see cref="BudgetWindowReport.Of"/>.
    /// </summary>
    public static void WriteBudgets(Utf8JsonWriter w, IEnumerable<BudgetWindowReport> windows)
    {
        w.WriteStartArray("budgets");
        foreach (var b in windows)
        {
            w.WriteStartObject();
            w.WriteString("name", Text.WithoutUnpairedSurrogates(b.Name));
            w.WriteString("window_start", BudgetWindows.Iso(b.WindowStartMs));
            w.WriteString("window_end", BudgetWindows.Iso(b.WindowEndMs));
            w.WriteNumber("spent_micros", b.SpentMicros);
            w.WriteNumber("limit_micros", b.LimitMicros);
            w.WriteStartArray("thresholds_crossed");
            foreach (var t in b.ThresholdsCrossed) w.WriteNumberValue(t);
            w.WriteEndArray();
            w.WriteBoolean("incomplete", b.Incomplete);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>The <c>budget_evaluation</c> object: the budgets' counters since start.</summary>
    public static void WriteBudgetEvaluation(Utf8JsonWriter w, BudgetCounters counters)
    {
        w.WriteStartObject("budget_evaluation");
        foreach (var (name, value) in counters.Named()) w.WriteNumber(name, value);
        w.WriteEndObject();
    }

    /// <summary>The <c>sync</c> object.</summary>
    public static void WriteSync(Utf8JsonWriter w, SyncCounters sync)
    {
        w.WriteStartObject("sync");
        w.WriteNumber("handed_to_sync", sync.HandedToSync);
        w.WriteNumber("delivered", sync.Delivered);
        w.WriteNumber("duplicates", sync.Duplicates);
        w.WriteNumber("rejected", sync.Rejected);
        w.WriteNumber("retried_attempts", sync.RetriedAttempts);
        w.WriteNumber("sync_dropped", sync.SyncDropped);
        w.WriteNumber("undelivered", sync.Undelivered);
        w.WriteNumber("pending", sync.Pending);
        w.WriteNumber("dead_letter_write_failures", sync.DeadLetterWriteFailures);
        w.WriteEndObject();
    }

    public static void WriteRows(Utf8JsonWriter w, string name, IReadOnlyDictionary<string, UsageRow> rows)
    {
        w.WriteStartObject(name);
        foreach (var (key, row) in SortedByCost(rows))
        {
            // Keys are caller strings: one holding an unpaired surrogate (which the recorder does not scan for) would make
            // the writer throw and lose the whole report, so it is written with U+FFFD instead.
            w.WritePropertyName(Text.WithoutUnpairedSurrogates(key));
            WriteRow(w, row);
        }
        w.WriteEndObject();
    }

    /// <summary>Every counter of the row under its snake_case name, then the values derived from them.</summary>
    public static void WriteRow(Utf8JsonWriter w, UsageRow row)
    {
        w.WriteStartObject();
        foreach (var counter in UsageCounters.All) w.WriteNumber(UsageCounters.Name(counter), row[counter]);
        w.WriteNumber("cost_usd", row.CostUsd);
        w.WriteNumber("success_rate", Math.Round(row.SuccessRate, 6));
        w.WriteNumber("total_tokens", row.TotalTokens);
        w.WriteNumber("average_cost_micros_per_request", Math.Round(row.AverageCostMicrosPerRequest, 3));
        w.WriteNumber("average_tokens_per_request", Math.Round(row.AverageTokensPerRequest, 3));
        if (row.AverageDurationMs is { } d) w.WriteNumber("average_duration_ms", Math.Round(d, 3));
        if (row.AverageTimeToFirstTokenMs is { } t) w.WriteNumber("average_time_to_first_token_ms", Math.Round(t, 3));
        WritePercentiles(w, "duration_ms", row.DurationMsPercentiles);
        WritePercentiles(w, "time_to_first_token_ms", row.TimeToFirstTokenMsPercentiles);
        w.WriteEndObject();
    }

    /// <summary><c>{prefix}_p50</c> .. <c>{prefix}_p99</c>, omitted when no request of the row carried the latency.</summary>
    private static void WritePercentiles(Utf8JsonWriter w, string prefix, LatencyPercentiles? p)
    {
        if (p is null) return;
        w.WriteNumber($"{prefix}_p50", Math.Round(p.P50, 3));
        w.WriteNumber($"{prefix}_p90", Math.Round(p.P90, 3));
        w.WriteNumber($"{prefix}_p95", Math.Round(p.P95, 3));
        w.WriteNumber($"{prefix}_p99", Math.Round(p.P99, 3));
    }

    /// <summary>Rows by cost, then requests, then key: the order every report lists them in.</summary>
    public static List<KeyValuePair<string, UsageRow>> SortedByCost(IReadOnlyDictionary<string, UsageRow> rows)
    {
        var list = new List<KeyValuePair<string, UsageRow>>(rows);
        list.Sort((a, b) =>
        {
            var byCost = b.Value.CostMicros.CompareTo(a.Value.CostMicros);
            if (byCost != 0) return byCost;
            var byRequests = b.Value.Requests.CompareTo(a.Value.Requests);
            return byRequests != 0 ? byRequests : string.CompareOrdinal(a.Key, b.Key);
        });
        return list;
    }
}
