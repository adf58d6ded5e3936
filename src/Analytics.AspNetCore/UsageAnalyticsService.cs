using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Analytics.Actors;
using Analytics.Actors.Budgets;
using Analytics.Actors.Reporting;
using Analytics.Actors.Store;
using Analytics.AspNetCore.Ingest;
using Analytics.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Analytics.AspNetCore;

/// <summary>The handlers behind <c>POST /v1/events</c> and <c>GET /v1/stats</c>, one per app.</summary>
internal sealed class UsageAnalyticsService
{
    private readonly AnalyticsOptions _options;
    private readonly IngestWriter _writer;
    private readonly IUsageStore _store;
    private readonly IUsageStats _stats;
    private readonly IClusterUsageStats _cluster;
    private readonly UsageRecorder _recorder;
    private readonly SyncStatus _sync;
    private readonly IBudgetStatus _budgets;
    private readonly TimeProvider _time;

    public UsageAnalyticsService(AnalyticsOptions options, UsageRecorder recorder, StoreRuntime storeRuntime, IUsageStore store, IUsageStats stats,
        SyncStatus sync, IBudgetStatus budgets, TimeProvider time, IClusterUsageStats cluster)
    {
        _budgets = budgets;
        _cluster = cluster;
        _options = options;
        _recorder = recorder;
        _store = store;
        _stats = stats;
        _sync = sync;
        _time = time;
        _writer = new IngestWriter(recorder, storeRuntime, store, options, time);
        Gate = new ApiKeyGate(options.Ingest.ApiKeys ?? []);
    }

    /// <summary>The key check shared by both endpoints.</summary>
    public ApiKeyGate Gate { get; }

    /// <summary>What ingest did since start.</summary>
    public IngestCounters Counters { get; } = new();

    /// <summary><c>POST /v1/events</c>.</summary>
    public async Task IngestAsync(HttpContext context)
    {
        Counters.Request();
        var max = _options.Ingest.MaxBodyBytes;
        if (Gate.Refusal(context) is { } why)
        {
            await RefuseAsync(context, StatusCodes.Status401Unauthorized, why);
            return;
        }
        if (Format(context.Request.ContentType) is not { } format)
        {
            await RefuseAsync(context, StatusCodes.Status415UnsupportedMediaType,
                $"Content-Type must be application/x-ndjson (JSON Lines) or application/json (an array), UTF-8 (got '{context.Request.ContentType ?? "none"}')");
            return;
        }
        if (context.Request.ContentLength > max)
        {
            await TooLargeAsync(context, max);
            return;
        }

        var body = await ReadBodyAsync(context, max);
        if (body is null)
        {
            await TooLargeAsync(context, max);
            return;
        }
        try
        {
            var parsed = await IngestBody.ParseAsync(body.Value.Memory, format, context.RequestAborted);
            if (parsed.BodyError is { } bodyError)
            {
                await RefuseAsync(context, StatusCodes.Status400BadRequest, bodyError);
                return;
            }
            var result = await _writer.RecordAsync(parsed.Entries, context.RequestAborted);
            if (result.Outcome != IngestWriter.Outcome.Done)
            {
                await UnavailableAsync(context, result);
                return;
            }
            var rejections = parsed.Rejections;
            var rejectedCount = parsed.RejectedCount;
            if (result.Refused.Count > 0)
            {
                // Entry indices back to body lines: the recorder's refusals are rare enough to search for.
                rejectedCount += result.Refused.Count;
                rejections = [.. rejections, .. result.Refused.Select(r => new IngestRejection(LineOf(parsed, r.Index), r.Reason))];
            }
            var status = result.Recorded > 0 || rejectedCount == 0 ? StatusCodes.Status202Accepted : StatusCodes.Status400BadRequest;
            if (status == StatusCodes.Status202Accepted) Counters.Accepted(result.Recorded, rejectedCount);
            else Counters.Refused(status);
            await WriteJsonAsync(context, status, w =>
            {
                w.WriteNumber("accepted", result.Recorded);
                w.WriteStartArray("rejected");
                foreach (var r in rejections)
                {
                    w.WriteStartObject();
                    w.WriteNumber("line", r.Line);
                    w.WriteString("reason", r.Reason);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                // The list stops at IngestBody.MaxListedRejections; the count does not.
                w.WriteNumber("rejected_count", rejectedCount);
            });
        }
        finally
        {
            body.Value.Dispose();
        }
    }

    /// <summary>
    /// <c>GET /v1/stats</c>: the <c>stats</c> command's report for the window, then the live counters; with
    /// <c>scope=cluster</c>, the merged live view of every node (<see cref="IClusterUsageStats"/>) in the same shape.
    /// </summary>
    public async Task StatsAsync(HttpContext context)
    {
        if (Gate.Refusal(context) is { } why)
        {
            await RefuseAsync(context, StatusCodes.Status401Unauthorized, why, count: false);
            return;
        }
        if (Parse(context.Request.Query, out var error) is not { } request)
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, error!, count: false);
            return;
        }
        if (request.Cluster is not null && !_cluster.Enabled)
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest,
                $"scope=cluster needs the cluster view, which is off on this node ({AnalyticsOptions.SectionName}:Cluster:Enabled is false); use scope=local or turn the cluster on",
                count: false);
            return;
        }
        var query = request.Window;
        string json;
        try
        {
            if (request.Cluster is { } consistency)
            {
                var view = await _cluster.GetAsync(consistency, context.RequestAborted);
                json = UsageReportJson.Object(w =>
                {
                    w.WriteNull("ledger");
                    w.WriteNull("since");
                    w.WriteString("until", UsageWindow.Iso(view.Stats.AsOf));
                    UsageReportJson.WriteBreakdowns(w, view.Stats);
                    WriteCluster(w, view);
                    WriteLive(w);
                });
            }
            else if (_store.Enabled)
            {
                var history = await _store.GetUsageAsync(query, context.RequestAborted);
                json = UsageReportJson.History(_options.Store.FullPath, history, WriteLive);
            }
            else if (query.By is not null)
            {
                await RefuseAsync(context, StatusCodes.Status400BadRequest, $"by needs the store, which is off ({AnalyticsOptions.SectionName}:Store:Path is empty)", count: false);
                return;
            }
            else
            {
                // No store: the live stats since start, in the same frame (no ledger, no window start).
                var stats = await _stats.GetAsync(context.RequestAborted);
                json = UsageReportJson.Object(w =>
                {
                    w.WriteNull("ledger");
                    w.WriteNull("since");
                    w.WriteString("until", UsageWindow.Iso(stats.AsOf));
                    UsageReportJson.WriteBreakdowns(w, stats);
                    WriteLive(w);
                });
            }
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException && !context.RequestAborted.IsCancellationRequested)
        {
            await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, e.Message, count: false, retryAfter: true);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsync(json, context.RequestAborted);
    }

    /// <summary>The <c>cluster</c> object of a <c>scope=cluster</c> report: how it was read, the nodes' totals, their summed ingress and overflow.</summary>
    private static void WriteCluster(Utf8JsonWriter w, ClusterUsage view)
    {
        w.WriteStartObject("cluster");
        w.WriteString("consistency", Consistencies[(int)view.Consistency]);
        w.WritePropertyName("nodes");
        w.WriteStartObject();
        foreach (var (node, row) in view.ByNode.OrderBy(n => n.Key, StringComparer.Ordinal))
        {
            w.WritePropertyName(node);
            UsageReportJson.WriteRow(w, row);
        }
        w.WriteEndObject();
        var i = view.Stats.Ingress;
        w.WriteStartObject("ingress");
        w.WriteNumber("accepted", i.Accepted);
        w.WriteNumber("dropped", i.Dropped);
        w.WriteNumber("rejected", i.Rejected);
        w.WriteNumber("folded", i.Folded);
        w.WriteNumber("pending", i.Pending);
        w.WriteEndObject();
        w.WriteStartObject("overflowed_keys");
        w.WriteNumber("models", view.Overflowed.Models);
        w.WriteNumber("providers", view.Overflowed.Providers);
        w.WriteNumber("agents", view.Overflowed.Agents);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>The <c>consistency</c> values, in the order of <see cref="ClusterReadConsistency"/>.</summary>
    private static readonly string[] Consistencies = ["local", "majority", "all"];

    /// <summary>The service's own fields after the report: ingest, the ring, the store and sync, as of now.</summary>
    private void WriteLive(Utf8JsonWriter w)
    {
        w.WriteString("as_of", UsageWindow.Iso(_time.GetUtcNow()));
        Counters.Write(w);
        w.WriteStartObject("ingress");
        w.WriteNumber("accepted", _recorder.AcceptedCount);
        w.WriteNumber("dropped", _recorder.DroppedCount);
        w.WriteNumber("rejected", _recorder.RejectedCount);
        w.WriteNumber("pending", _recorder.PendingCount);
        w.WriteEndObject();
        if (_store.Counters is { } store) UsageReportJson.WriteStore(w, store);
        if (_sync.Current is { } sync) UsageReportJson.WriteSync(w, sync);
        // The dashboard reads only this endpoint, so the budgets' current windows ride along (as GET /v1/budgets has them).
        if (_budgets.Enabled) WriteBudgets(w);
    }

    /// <summary>
    /// <c>GET /v1/budgets</c>: every budget's current window in the replay report's <c>budgets</c> rows, plus how many
    /// requests the evaluator could not take (their windows say <c>incomplete</c>). Same key rule as the other endpoints.
    /// </summary>
    public async Task BudgetsAsync(HttpContext context)
    {
        if (Gate.Refusal(context) is { } why)
        {
            await RefuseAsync(context, StatusCodes.Status401Unauthorized, why, count: false);
            return;
        }
        var json = UsageReportJson.Object(w =>
        {
            w.WriteString("as_of", UsageWindow.Iso(_time.GetUtcNow()));
            w.WriteBoolean("enabled", _budgets.Enabled);
            WriteBudgets(w);
        });
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsync(json, context.RequestAborted);
    }

    private void WriteBudgets(Utf8JsonWriter w)
    {
        var rows = new List<BudgetWindowReport>(_budgets.All.Count);
        foreach (var status in _budgets.All) rows.Add(BudgetWindowReport.Of(status));
        UsageReportJson.WriteBudgets(w, rows);
        w.WriteNumber("budget_not_evaluated", _budgets.UnevaluatedRequests);
    }

    /// <summary>What <c>GET /v1/stats</c> asks for: a window of this node's usage, or the cluster's view read with a consistency.</summary>
    internal sealed record StatsRequest(UsageQueries.GetUsage Window, ClusterReadConsistency? Cluster);

    /// <summary>
    /// The query string: the window with the <c>stats</c> command's rules and messages (parameter names without <c>--</c>),
    /// or <c>scope=cluster</c> with an optional <c>consistency</c> (default majority), which takes no window.
    /// </summary>
    internal static StatsRequest? Parse(IQueryCollection query, out string? error)
    {
        error = null;
        DateTimeOffset? since = null, until = null;
        UsageBucketSize? by = null;
        string? scope = null, consistency = null;
        foreach (var (name, values) in query)
        {
            if (values.Count != 1)
            {
                error = $"{name} is given {values.Count} times (once at most)";
                return null;
            }
            var value = values[0] ?? "";
            switch (name)
            {
                case "since": since = UsageWindow.Time("since", value, out error); break;
                case "until": until = UsageWindow.Time("until", value, out error); break;
                case "by": by = UsageWindow.Bucket("by", value, out error); break;
                case "scope":
                    scope = value;
                    if (value is not ("local" or "cluster")) error = $"scope must be local or cluster (got '{value}')";
                    break;
                case "consistency":
                    consistency = value;
                    if (Array.IndexOf(Consistencies, value) < 0) error = $"consistency must be local, majority or all (got '{value}')";
                    break;
                default:
                    error = $"unknown parameter '{name}' (expected since, until, by, scope, consistency)";
                    return null;
            }
            if (error is not null) return null;
        }
        if (scope == "cluster")
        {
            if (since is not null || until is not null || by is not null)
            {
                error = "scope=cluster takes no since, until or by: the cluster view is the live counts of every node since it started (use the stored history of each node for windows)";
                return null;
            }
            return new StatsRequest(new UsageQueries.GetUsage(), (ClusterReadConsistency)Array.IndexOf(Consistencies, consistency ?? "majority"));
        }
        if (consistency is not null)
        {
            error = "consistency applies to scope=cluster only";
            return null;
        }
        error = UsageWindow.Problem("since", since, "until", until);
        return error is null ? new StatsRequest(new UsageQueries.GetUsage(since, until, by), null) : null;
    }

    private static IngestFormat? Format(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media)) return null;
        if (media.Charset.HasValue && !media.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)) return null;
        var type = media.MediaType.Value;
        if (type is null) return null;
        if (type.Equals("application/x-ndjson", StringComparison.OrdinalIgnoreCase) || type.Equals("application/jsonl", StringComparison.OrdinalIgnoreCase))
            return IngestFormat.JsonLines;
        return type.Equals("application/json", StringComparison.OrdinalIgnoreCase) ? IngestFormat.JsonArray : null;
    }

    /// <summary>
    /// The whole body, or null once it passes <paramref name="max"/>: reading stops there, so a chunked body without a
    /// length costs at most the limit. Kestrel enforces the same limit on its side.
    /// </summary>
    private static async Task<PooledBody?> ReadBodyAsync(HttpContext context, long max)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = max;
        var initial = (int)Math.Min(context.Request.ContentLength ?? 16 * 1024, max) + 1;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initial, 1024));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, max + 1));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
                var n = await context.Request.Body.ReadAsync(buffer.AsMemory(length), context.RequestAborted);
                if (n == 0) return new PooledBody(buffer, length);
                length += n;
                if (length > max)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return null;
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return null;
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private static long LineOf(IngestBody.Parsed parsed, int index) => parsed.Lines[index];

    private Task TooLargeAsync(HttpContext context, long max)
    {
        // The rest of the body is never read: the connection closes after the answer.
        context.Response.Headers.Connection = "close";
        return RefuseAsync(context, StatusCodes.Status413PayloadTooLarge,
            string.Create(CultureInfo.InvariantCulture, $"the body is larger than {AnalyticsOptions.SectionName}:Ingest:MaxBodyBytes ({max} bytes)"));
    }

    private Task UnavailableAsync(HttpContext context, IngestWriter.Result result)
    {
        var why = result.Outcome switch
        {
            IngestWriter.Outcome.NoRoom => "the ingress ring or the store queue had no room within Analytics:Ingest:RoomWait",
            IngestWriter.Outcome.NotCommitted => "the events could not be confirmed as committed to the ledger (store queue full, write failures, or no commit within Analytics:AskTimeout)",
            _ => "the service is stopping",
        };
        return RefuseAsync(context, StatusCodes.Status503ServiceUnavailable,
            string.Create(CultureInfo.InvariantCulture, $"{why}; {result.Recorded} of the events may be recorded: retry the whole body (events with an event_id are stored once)"),
            retryAfter: true);
    }

    private Task RefuseAsync(HttpContext context, int status, string error, bool count = true, bool retryAfter = false)
    {
        if (count) Counters.Refused(status);
        if (status == StatusCodes.Status401Unauthorized) context.Response.Headers.WWWAuthenticate = "Bearer";
        if (retryAfter) context.Response.Headers.RetryAfter = _options.Ingest.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return WriteJsonAsync(context, status, w => w.WriteString("error", error));
    }

    private static async Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> fields)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            fields(w);
            w.WriteEndObject();
        }
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }

    /// <summary>A body read into a pooled array, returned on dispose.</summary>
    private readonly struct PooledBody(byte[] buffer, int length) : IDisposable
    {
        public ReadOnlyMemory<byte> Memory => buffer.AsMemory(0, length);

        public void Dispose() => ArrayPool<byte>.Shared.Return(buffer);
    }
}
