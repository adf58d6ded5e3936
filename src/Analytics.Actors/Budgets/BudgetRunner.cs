using Analytics.Actors.Store;
using Analytics.Contracts;
using Microsoft.Extensions.Logging;

namespace Analytics.Actors.Budgets;

/// <summary>
/// The one reader of the budget feed: it evaluates what arrives in batches, publishes the statuses after each batch (and
/// at each window boundary, so a status moves to its next window even when nothing arrives), then, for every threshold
/// crossed, stores the crossing (with a store), records a <see cref="BudgetThresholdReached"/> through the recorder and
/// queues it for the webhook. Nothing here runs on a caller's or the pump's thread.
/// </summary>
/// <remarks>
/// The crossing is stored before it is announced: a crash in between loses the announcement, never repeats it. A
/// crossing found while the ring is full is recorded once there is room; one found after the analytics stopped (the
/// shutdown's last events) cannot be recorded and is counted in <see cref="BudgetCounters.NotRecorded"/>, though it is
/// stored, posted and reported.
/// </remarks>
internal sealed class BudgetRunner
{
    /// <summary>Most requests evaluated before the statuses are published.</summary>
    public const int BatchSize = 4_096;

    /// <summary>How soon a crossing the full ring refused is tried again.</summary>
    private static readonly TimeSpan RetryRecordDelay = TimeSpan.FromMilliseconds(5);

    private readonly IBudgetFeed _feed;
    private readonly BudgetEvaluator _evaluator;
    private readonly BudgetBoard _board;
    private readonly BudgetLedger? _ledger;
    private readonly UsageRecorder _recorder;
    private readonly BudgetWebhook? _webhook;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly List<BudgetThresholdReached> _unrecorded = [];
    private TaskCompletionSource _progress = NewProgress();
    private long _processed, _crossings, _recorded, _notRecorded, _storeFailures;
    private int _waitingForRoom;
    private long _evictedLogged;

    public BudgetRunner(IBudgetFeed feed, BudgetEvaluator evaluator, BudgetBoard board, BudgetLedger? ledger, UsageRecorder recorder, BudgetWebhook? webhook,
        TimeProvider time, ILogger log)
    {
        _feed = feed;
        _evaluator = evaluator;
        _board = board;
        _ledger = ledger;
        _recorder = recorder;
        _webhook = webhook;
        _time = time;
        _log = log;
    }

    /// <summary>Ends when the feed has ended and everything read was handled.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>The counters so far.</summary>
    public BudgetCounters Counters => new(
        _evaluator.Evaluated, _feed.Dropped, _evaluator.SkippedStored, _evaluator.Late, Volatile.Read(ref _crossings), Volatile.Read(ref _recorded),
        Volatile.Read(ref _notRecorded), Volatile.Read(ref _storeFailures), _webhook?.Delivered ?? 0, _webhook?.Refused ?? 0, _webhook?.GivenUp ?? 0,
        _webhook?.Dropped ?? 0, _webhook?.Retries ?? 0);

    /// <summary>Publishes the first statuses (the resumed spend), attaches the feed and starts reading.</summary>
    public void Start()
    {
        Publish(_time.GetUtcNow().ToUnixTimeMilliseconds());
        _feed.Attach();
        Completion = Task.Run(RunAsync);
    }

    /// <summary>
    /// Completes once the runner handled the first <paramref name="accepted"/> items of the feed, every crossing among
    /// them is in the ring (or could not be recorded), and the statuses show them.
    /// </summary>
    public async Task WhenHandledAsync(long accepted, CancellationToken cancellationToken)
    {
        while (true)
        {
            var progress = Volatile.Read(ref _progress);
            if ((Volatile.Read(ref _processed) >= accepted && Volatile.Read(ref _waitingForRoom) == 0) || Completion.IsCompleted) return;
            await progress.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RunAsync()
    {
        try
        {
            while (await WaitAsync().ConfigureAwait(false))
            {
                var n = 0;
                while (n < BatchSize && _feed.TryRead(out var r))
                {
                    _evaluator.Evaluate(r);
                    n++;
                }
                await AfterBatchAsync().ConfigureAwait(false);
            }
            await AfterBatchAsync().ConfigureAwait(false);
            RetryUnrecorded(final: true);
        }
        catch (Exception e)
        {
            // A defect: say so loudly; the statuses stay as last published and the queue fills (counted as dropped).
            _log.LogCritical(e, "The budget evaluator failed and stopped; budget statuses are no longer updated");
            throw;
        }
        finally
        {
            Signal();
        }
    }

    /// <summary>
    /// Waits for the feed, waking at the next window boundary (to publish the new windows) and, while a crossing waits
    /// for room in the ring, every few milliseconds to retry it. False once the feed has ended.
    /// </summary>
    private async ValueTask<bool> WaitAsync()
    {
        var ready = _feed.WaitToReadAsync(CancellationToken.None);
        if (ready.IsCompleted) return await ready.ConfigureAwait(false);
        var readyTask = ready.AsTask();
        while (!readyTask.IsCompleted)
        {
            var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
            var untilBoundary = TimeSpan.FromMilliseconds(Math.Clamp(_evaluator.NextBoundaryMs(nowMs) - nowMs, 1, (long)TimeSpan.FromDays(1).TotalMilliseconds));
            var delay = _unrecorded.Count > 0 && RetryRecordDelay < untilBoundary ? RetryRecordDelay : untilBoundary;
            using var cancel = new CancellationTokenSource();
            var timer = Task.Delay(delay, _time, cancel.Token);
            if (await Task.WhenAny(readyTask, timer).ConfigureAwait(false) != timer)
            {
                await cancel.CancelAsync().ConfigureAwait(false);
                break;
            }
            RetryUnrecorded(final: false);
            Publish(_time.GetUtcNow().ToUnixTimeMilliseconds());
            Signal();
        }
        return await readyTask.ConfigureAwait(false);
    }

    private async Task AfterBatchAsync()
    {
        var taken = _feed.Taken;
        var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        _evaluator.NoticeDrops(_feed.Dropped, nowMs);
        var crossings = _evaluator.TakeCrossings();
        Publish(nowMs);
        if (crossings.Count > 0) await AnnounceAsync(crossings).ConfigureAwait(false);
        RetryUnrecorded(final: false);
        if (_evaluator.Evicted > _evictedLogged)
        {
            if (_evictedLogged == 0)
                _log.LogWarning("A budget holds {Max} windows: the oldest are forgotten, and requests of windows before them are not counted (late)",
                    BudgetEvaluator.MaxWindowsPerBudget);
            _evictedLogged = _evaluator.Evicted;
        }
        Volatile.Write(ref _processed, taken);
        Signal();
    }

    private void Publish(long nowMs)
    {
        _evaluator.Publish(nowMs, _board.Stage);
        _board.Commit();
    }

    private async Task AnnounceAsync(List<BudgetCrossing> crossings)
    {
        Interlocked.Add(ref _crossings, crossings.Count);
        if (_ledger is not null)
        {
            try
            {
                await _ledger.SaveAsync(crossings).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // Announced anyway: an alert that may repeat after a restart beats one that never comes.
                Interlocked.Add(ref _storeFailures, crossings.Count);
                _log.LogError(e, "Budgets: {Count} threshold crossings could not be stored; a restart in their window may announce them again", crossings.Count);
            }
        }
        foreach (var c in crossings)
        {
            _log.LogInformation("Budget {Budget} reached {Threshold}% of {LimitMicros} micros in the window from {WindowStart} ({SpentMicros} micros spent)",
                c.Budget.Name, c.ThresholdPercent, c.Budget.LimitMicros, BudgetWindows.Iso(c.WindowStartMs), c.SpentMicros);
            Record(c.ToEvent());
            _webhook?.Offer(c);
        }
    }

    private void Record(BudgetThresholdReached e)
    {
        try
        {
            if (_recorder.TryRecord(e)) Interlocked.Increment(ref _recorded);
            else _unrecorded.Add(e);
        }
        catch (InvalidOperationException)
        {
            if (Interlocked.Increment(ref _notRecorded) == 1)
                _log.LogWarning("Budget threshold events found after the analytics stopped cannot be recorded; they are stored, posted and reported");
        }
        Volatile.Write(ref _waitingForRoom, _unrecorded.Count);
    }

    private void RetryUnrecorded(bool final)
    {
        if (_unrecorded.Count == 0) return;
        var waiting = _unrecorded.ToArray();
        _unrecorded.Clear();
        foreach (var e in waiting) Record(e);
        if (!final || _unrecorded.Count == 0) return;
        Interlocked.Add(ref _notRecorded, _unrecorded.Count);
        _unrecorded.Clear();
        Volatile.Write(ref _waitingForRoom, 0);
    }

    private void Signal() => Interlocked.Exchange(ref _progress, NewProgress()).TrySetResult();

    private static TaskCompletionSource NewProgress() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>The budgets' accounting since start.</summary>
/// <param name="Evaluated">Completed requests evaluated.</param>
/// <param name="Dropped">Requests the full queue refused: never evaluated (statuses since say <c>Incomplete</c>).</param>
/// <param name="SkippedStored">Requests already in the ledger at start, whose spend was resumed from it.</param>
/// <param name="Late">Requests of windows older than the oldest one kept: not counted.</param>
/// <param name="Crossings">Thresholds crossed.</param>
/// <param name="Recorded">Crossings recorded as <see cref="BudgetThresholdReached"/> events.</param>
/// <param name="NotRecorded">Crossings that could not be recorded (found after the analytics stopped).</param>
/// <param name="StoreFailures">Crossings that could not be stored (a restart may announce them again).</param>
/// <param name="WebhookDelivered">Crossings the webhook accepted.</param>
/// <param name="WebhookRefused">Crossings the webhook refused permanently.</param>
/// <param name="WebhookGivenUp">Crossings given up on (retry budget, shutdown).</param>
/// <param name="WebhookDropped">Crossings not queued for the webhook (queue full).</param>
/// <param name="WebhookRetries">Webhook attempts that retried an earlier one.</param>
internal sealed record BudgetCounters(long Evaluated, long Dropped, long SkippedStored, long Late, long Crossings, long Recorded, long NotRecorded,
    long StoreFailures, long WebhookDelivered, long WebhookRefused, long WebhookGivenUp, long WebhookDropped, long WebhookRetries)
{
    /// <summary>The counters under their report names (snake_case), in report order. The names are a contract: add, never rename.</summary>
    public (string Name, long Value)[] Named() =>
    [
        ("evaluated", Evaluated), ("not_evaluated", Dropped), ("already_stored", SkippedStored), ("late", Late), ("thresholds_crossed", Crossings),
        ("recorded", Recorded), ("not_recorded", NotRecorded), ("store_failures", StoreFailures), ("webhook_delivered", WebhookDelivered),
        ("webhook_refused", WebhookRefused), ("webhook_given_up", WebhookGivenUp), ("webhook_dropped", WebhookDropped), ("webhook_retries", WebhookRetries),
    ];
}
