using System.Globalization;
using Akka.Actor;
using Analytics.Actors.Hosting;
using Analytics.Actors.Metrics;
using Analytics.Contracts;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Analytics.Actors.Health;

/// <summary>
/// The <c>usage-analytics</c> health check. Unhealthy when the pump is not running (not started, stopped, or not
/// answering a ping within <see cref="HealthOptions.PumpTimeout"/>). Degraded, with one line per reason under
/// <c>reasons</c> in the result data, when events were dropped (ring, sync queue, store queue) within
/// <see cref="HealthOptions.DropWindow"/>, sync was refused with 401, the sync backlog or the store queue is above its
/// threshold, the store cannot write, or budget requests were not evaluated (the budget queue was full). The data also
/// carries the counters the verdict was made from.
/// </summary>
/// <remarks>
/// One instance per host (a singleton): it remembers when each drop count last grew, so "dropped recently" means within
/// the window before this check, whatever the probe interval. Drops are noticed by the first check after them.
/// </remarks>
internal sealed class UsageAnalyticsHealthCheck : IHealthCheck
{
    private readonly UsageAnalyticsRuntime? _runtime;
    private readonly Func<UsageRecorder?> _recorder;
    private readonly SyncStatus? _sync;
    private readonly StoreSignalsSource? _store;
    private readonly TimeProvider _time;
    private readonly IBudgetStatus? _budgets;
    private readonly DropTracker _ringDrops = new(), _syncDrops = new(), _storeDrops = new(), _budgetDrops = new();
    private readonly object _gate = new();
    private long _pings;

    public UsageAnalyticsHealthCheck(UsageAnalyticsRuntime? runtime, Func<UsageRecorder?> recorder, SyncStatus? sync, StoreSignalsSource? store, TimeProvider? time,
        IBudgetStatus? budgets = null)
    {
        _budgets = budgets;
        _runtime = runtime;
        _recorder = recorder;
        _sync = sync;
        _store = store;
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (_runtime is null)
            return HealthCheckResult.Unhealthy("Usage analytics is not registered: call services.AddUsageAnalytics(configuration).");
        var running = _runtime.Running;
        if (running is null)
            return HealthCheckResult.Unhealthy("Usage analytics is not running: the host has not started, or its AddAkka(...) builder does not call WithUsageAnalytics().");
        var recorder = _recorder();
        if (recorder is null || recorder.IsStopped || running.System.WhenTerminated.IsCompleted)
            return HealthCheckResult.Unhealthy("Usage analytics has stopped (the host is shutting down): nothing drains the recorder.");

        var health = running.Options.Health ?? new HealthOptions();
        if (await PingAsync(running.Pump, health.PumpTimeout, cancellationToken).ConfigureAwait(false) is { } problem)
            return HealthCheckResult.Unhealthy(problem, data: Counters(recorder, null, null));

        var sync = _sync?.Current;
        var store = _store?.Read();
        var budgets = _budgets is { Enabled: true } b ? b : null;
        var reasons = Reasons(health, recorder, sync, store, budgets);
        var data = Counters(recorder, sync, store);
        if (budgets is not null) data["budget_not_evaluated"] = budgets.UnevaluatedRequests;
        if (reasons.Count == 0) return HealthCheckResult.Healthy("Usage analytics is running.", data);
        data["reasons"] = reasons.ToArray();
        return HealthCheckResult.Degraded(string.Join("; ", reasons), data: data);
    }

    private async Task<string?> PingAsync(IActorRef pump, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            // Identify is answered in mailbox order: a pump stuck in a long drain answers late, a dead one answers null.
            var identity = await pump.Ask<ActorIdentity>(new Identify(Interlocked.Increment(ref _pings)), timeout, cancellationToken).ConfigureAwait(false);
            return identity.Subject is null ? "The usage analytics pump is not running: nothing drains the recorder." : null;
        }
        catch (AskTimeoutException)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"The usage analytics pump did not answer within {AnalyticsOptions.SectionName}:Health:PumpTimeout ({timeout:c}): it is stuck or overloaded.");
        }
    }

    private List<string> Reasons(HealthOptions health, UsageRecorder recorder, SyncCounters? sync, StoreSignals? store, IBudgetStatus? budgets)
    {
        var c = CultureInfo.InvariantCulture;
        var reasons = new List<string>();
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (_ringDrops.GrewWithin(recorder.DroppedCount, now, health.DropWindow))
                reasons.Add(string.Create(c, $"events were dropped because the ingress ring was full ({recorder.DroppedCount} since start; raise {AnalyticsOptions.SectionName}:BufferCapacity)"));
            if (sync is not null && _syncDrops.GrewWithin(sync.SyncDropped, now, health.DropWindow))
                reasons.Add(string.Create(c, $"events were not synced because the sync queue was full ({sync.SyncDropped} since start)"));
            if (store is { } s && _storeDrops.GrewWithin(s.Dropped, now, health.DropWindow))
                reasons.Add(string.Create(c, $"events were not stored because the store queue was full ({s.Dropped} since start)"));
            if (budgets is not null && _budgetDrops.GrewWithin(budgets.UnevaluatedRequests, now, health.DropWindow))
                reasons.Add(string.Create(c, $"requests were not counted in budgets because the budget queue was full ({budgets.UnevaluatedRequests} since start): their statuses say incomplete"));
        }
        if (sync is { Unauthorized: > 0 })
            reasons.Add(string.Create(c, $"sync was refused with 401 ({sync.Unauthorized} events rejected): fix {AnalyticsOptions.SectionName}:Sync:Token and restart"));
        if (sync is not null && sync.Pending > health.SyncBacklogThreshold)
            reasons.Add(string.Create(c, $"the sync backlog is {sync.Pending} events, above {AnalyticsOptions.SectionName}:Health:SyncBacklogThreshold ({health.SyncBacklogThreshold})"));
        if (store is { } q && q.Queued > health.StoreQueueThreshold)
            reasons.Add(string.Create(c, $"the store queue holds {q.Queued} events, above {AnalyticsOptions.SectionName}:Health:StoreQueueThreshold ({health.StoreQueueThreshold})"));
        if (store is { WriteError: { } error })
            reasons.Add($"the store cannot write: {error}");
        return reasons;
    }

    private static Dictionary<string, object> Counters(UsageRecorder recorder, SyncCounters? sync, StoreSignals? store)
    {
        var data = new Dictionary<string, object>
        {
            ["accepted"] = recorder.AcceptedCount,
            ["dropped"] = recorder.DroppedCount,
            ["rejected"] = recorder.RejectedCount,
            ["pending"] = recorder.PendingCount,
            ["folded"] = recorder.FoldedCount,
        };
        if (sync is not null)
        {
            data["sync_pending"] = sync.Pending;
            data["sync_dropped"] = sync.SyncDropped;
            data["sync_unauthorized"] = sync.Unauthorized;
        }
        if (store is { } s)
        {
            data["store_queued"] = s.Queued;
            data["store_dropped"] = s.Dropped;
            data["store_write_failures"] = s.WriteFailures;
        }
        return data;
    }

    /// <summary>When a monotonic drop count last grew, as seen by the checks.</summary>
    private sealed class DropTracker
    {
        private long _seen;
        private DateTimeOffset? _grewAt;

        public bool GrewWithin(long count, DateTimeOffset now, TimeSpan window)
        {
            if (count > _seen)
            {
                _seen = count;
                _grewAt = now;
            }
            return _grewAt is { } at && now - at < window;
        }
    }
}
