using System.Threading.Channels;
using Akka;
using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using Akka.Streams.Dsl;
using Analytics.Actors.Ingress;
using Analytics.Contracts;

namespace Analytics.Actors.Store;

/// <summary>
/// Owns the store's write stream, <c>ChannelSource(queue) -> GroupedWithin(BatchSize, BatchInterval) -> SelectAsync(1,
/// one transaction per batch)</c>, materialised with this actor's materializer so it dies with it, and runs retention
/// every hour. The pump feeds the queue through an <see cref="EventTap"/>, so recording never waits on the disk.
/// </summary>
/// <remarks>
/// <para>On <see cref="Flush"/> (the shutdown task sends it after the pump's final drain) the queue is completed, so
/// <c>GroupedWithin</c> emits its last partial batch and the stream completes once it committed. If batches still fail
/// when <see cref="StoreOptions.FlushTimeout"/> passes, the retries stop and those events count as failed.</para>
/// <para>A batch never fails the stream (it is retried), so a failed stream is a defect: the actor then throws, and
/// the default supervision restarts it, which runs a new stream on the same queue with the same books.</para>
/// </remarks>
internal sealed class StoreWriterActor : ReceiveActor, IWithTimers
{
    /// <summary>How often retention runs; the first run comes <see cref="RetentionFirstDelay"/> after start.</summary>
    public static readonly TimeSpan RetentionInterval = TimeSpan.FromHours(1);

    private static readonly TimeSpan RetentionFirstDelay = TimeSpan.FromMinutes(1);

    private readonly EventTap _tap;
    private readonly ChannelReader<AnalyticsEvent> _queue;
    private readonly LedgerWriter _writer;
    private readonly BatchCommitter _committer;
    private readonly StoreMetrics _metrics;
    private readonly StoreOptions _options;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<IActorRef> _flushWaiters = [];
    private readonly List<IActorRef> _retentionWaiters = [];
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private bool _streamDone, _flushing, _retentionRunning;

    /// <summary>Use <see cref="CreateProps"/>.</summary>
    public StoreWriterActor(EventTap tap, ChannelReader<AnalyticsEvent> queue, LedgerWriter writer, BatchCommitter committer, StoreMetrics metrics,
        StoreOptions options, TimeProvider time)
    {
        _tap = tap;
        _queue = queue;
        _writer = writer;
        _committer = committer;
        _metrics = metrics;
        _options = options;
        _time = time;

        Receive<Flush>(OnFlush);
        Receive<Done>(_ => OnStreamDone());
        Receive<Status.Failure>(OnStreamFailed);
        Receive<GiveUp>(_ => _stop.Cancel()); // the flush timeout: failing batches give up now; the stream then completes
        Receive<RunRetention>(_ => StartRetention());
        Receive<RetentionDone>(OnRetentionDone);
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for the writer.</summary>
    public static Props CreateProps(EventTap tap, ChannelReader<AnalyticsEvent> queue, LedgerWriter writer, BatchCommitter committer, StoreMetrics metrics,
        StoreOptions options, TimeProvider time)
        => Props.Create(() => new StoreWriterActor(tap, queue, writer, committer, metrics, options, time));

    /// <inheritdoc />
    protected override void PreStart()
    {
        RunStream();
        Timers.StartPeriodicTimer(nameof(RunRetention), RunRetention.Instance, RetentionFirstDelay, RetentionInterval);
    }

    /// <inheritdoc />
    protected override void PreRestart(Exception reason, object message) => _stop.Cancel(); // not PostStop: the queue and the books stay open

    /// <inheritdoc />
    protected override void PostStop()
    {
        _stop.Cancel();
        _tap.Complete();
        var left = _metrics.Close();
        if (left > 0) _log.Warning("Store writer stopped with {Left} events not committed; they count as failed", left);
    }

    private void RunStream()
    {
        var committer = _committer;
        var stop = _stop.Token;
        ChannelSource.FromReader(_queue)
            .GroupedWithin(_options.BatchSize, _options.BatchInterval)
            .SelectAsync(1, batch => committer.CommitAsync(batch as IReadOnlyList<AnalyticsEvent> ?? [.. batch], stop))
            .RunWith(Sink.Ignore<int>(), Context.Materializer())
            .PipeTo(Self, success: () => Done.Instance);
    }

    private void OnFlush(Flush _)
    {
        _flushWaiters.Add(Sender);
        if (_flushing) return;
        _flushing = true;
        _tap.Complete(); // later events are refused by the completed queue and counted as store-dropped
        if (_streamDone) Finish();
        else Timers.StartSingleTimer(nameof(GiveUp), GiveUp.Instance, _options.FlushTimeout);
    }

    private void OnStreamDone()
    {
        _streamDone = true;
        if (_flushing) Finish();
    }

    private void OnStreamFailed(Status.Failure failed)
    {
        if (!_flushing) throw new InvalidOperationException("The store's write stream failed; restarting the writer", failed.Cause);
        _log.Error(failed.Cause, "The store stream failed during the flush");
        OnStreamDone();
    }

    private void Finish()
    {
        Timers.CancelAll();
        _metrics.Close();
        var reply = new Flushed(_metrics.Snapshot());
        foreach (var waiter in _flushWaiters) waiter.Tell(reply);
        _flushWaiters.Clear();
    }

    private void StartRetention()
    {
        if (!Sender.IsNobody() && !Sender.Equals(Context.System.DeadLetters)) _retentionWaiters.Add(Sender);
        if (_retentionRunning || _flushing) return;
        _retentionRunning = true;
        var cutoff = (_time.GetUtcNow() - _options.RetainEvents).ToUnixTimeMilliseconds();
        _writer.DeleteExpiredAsync(cutoff, _stop.Token)
            .PipeTo(Self, success: n => new RetentionDone(n, cutoff, null), failure: ex => new RetentionDone(0, cutoff, ex));
    }

    private void OnRetentionDone(RetentionDone done)
    {
        _retentionRunning = false;
        if (done.Error is not null) _log.Warning(done.Error, "Store retention failed; it runs again in {Interval}", RetentionInterval);
        else if (done.Deleted > 0)
            _log.Info("Store retention deleted {Deleted} ledger rows older than {Cutoff:o} that needed nothing more",
                done.Deleted, DateTimeOffset.FromUnixTimeMilliseconds(done.Cutoff));
        foreach (var waiter in _retentionWaiters) waiter.Tell(done);
        _retentionWaiters.Clear();
    }

    /// <summary>Commit what is queued, then stop taking events; answered with <see cref="Flushed"/>.</summary>
    public sealed record Flush
    {
        /// <summary>The one instance.</summary>
        public static readonly Flush Instance = new();

        private Flush() { }
    }

    /// <summary>The flush is over.</summary>
    /// <param name="Counters">The final counters.</param>
    public sealed record Flushed(StoreCounters Counters);

    /// <summary>Runs retention now (also the hourly timer's message).</summary>
    public sealed record RunRetention
    {
        /// <summary>The one instance.</summary>
        public static readonly RunRetention Instance = new();

        private RunRetention() { }
    }

    /// <summary>A retention run finished; also sent to whoever sent <see cref="RunRetention"/>.</summary>
    /// <param name="Deleted">Rows deleted.</param>
    /// <param name="Cutoff">Event time (Unix ms) below which rows were eligible.</param>
    /// <param name="Error">Why it failed, or null.</param>
    public sealed record RetentionDone(long Deleted, long Cutoff, Exception? Error);

    private sealed class GiveUp
    {
        public static readonly GiveUp Instance = new();
    }
}
