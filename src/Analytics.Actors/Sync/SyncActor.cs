using System.Threading.Channels;
using Akka;
using Akka.Actor;
using Akka.Event;
using Akka.Streams;
using Akka.Streams.Dsl;
using Analytics.Actors.Ingress;
using Analytics.Contracts;

namespace Analytics.Actors.Sync;

/// <summary>
/// Owns the sync delivery stream: <c>ChannelSource(queue) -> SyncPipeline -> settle into SyncMetrics</c>, materialised
/// with this actor's materializer so the stream dies with it. The pump feeds the queue through an
/// <see cref="EventTap"/>; recording and stats never wait for delivery.
/// </summary>
/// <remarks>
/// On <see cref="Flush"/> (sent by the CoordinatedShutdown task after the pump drained the ring) it completes the
/// queue (the tap stays, so later events count as sync-dropped), so <c>GroupedWithin</c> emits its last partial batch and the stream completes once that is
/// delivered. If that takes longer than the flush timeout it cancels delivery (in-flight and queued events settle as
/// undelivered within moments) and, after a short grace, closes the books: whatever is still unsettled counts as
/// undelivered. It then answers <see cref="Flushed"/> with the final counters, which the shutdown task logs.
/// </remarks>
internal sealed class SyncActor : ReceiveActor, IWithTimers
{
    /// <summary>How long the stream gets to wind down after delivery was cancelled at the flush timeout.</summary>
    public static readonly TimeSpan CancelGrace = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan StreamRestartDelay = TimeSpan.FromSeconds(1);

    private readonly Func<CancellationToken, Source<AnalyticsEvent, NotUsed>> _source;
    private readonly Action _stopIntake;
    private readonly ISyncSink _sink;
    private readonly SyncMetrics _metrics;
    private readonly SyncOptions _options;
    private readonly CancellationTokenSource _stopDelivery = new();
    private readonly List<IActorRef> _flushWaiters = [];
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private bool _streamDone;
    private bool _flushing;
    private bool _flushed;

    /// <summary>Use <see cref="CreateProps(EventTap, ChannelReader{AnalyticsEvent}, ISyncSink, SyncMetrics, SyncOptions)"/>.</summary>
    public SyncActor(Func<CancellationToken, Source<AnalyticsEvent, NotUsed>> source, Action stopIntake, ISyncSink sink, SyncMetrics metrics, SyncOptions options)
    {
        _source = source;
        _stopIntake = stopIntake;
        _sink = sink;
        _metrics = metrics;
        _options = options;

        Receive<Flush>(OnFlush);
        Receive<StreamCompleted>(_ => OnStreamDone());
        Receive<StreamFailed>(OnStreamFailed);
        Receive<RestartStream>(_ => RunStream());
        Receive<FlushDeadline>(_ => OnFlushDeadline());
        Receive<CancelGraceOver>(_ => OnCancelGraceOver());
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for the sync actor.</summary>
    /// <param name="tap">The pump's writer side of the queue.</param>
    /// <param name="queue">The reader side of the queue.</param>
    /// <param name="sink">Where batches are delivered.</param>
    /// <param name="metrics">The counters batches settle into.</param>
    /// <param name="options">Batch size, interval, parallelism.</param>
    /// <returns>Props.</returns>
    public static Props CreateProps(EventTap tap, ChannelReader<AnalyticsEvent> queue, ISyncSink sink, SyncMetrics metrics, SyncOptions options)
        => CreateProps(_ => ChannelSource.FromReader(queue), tap.Complete, sink, metrics, options);

    /// <summary>Props for a sync actor fed by another source than the pump's queue (the store's outbox).</summary>
    /// <param name="source">Creates the source of one stream run; the token fires when delivery must stop.</param>
    /// <param name="stopIntake">Ends the source at the flush (it completes once it has handed out what it has).</param>
    /// <param name="sink">Where batches are delivered.</param>
    /// <param name="metrics">The counters batches settle into.</param>
    /// <param name="options">Batch size, interval, parallelism.</param>
    /// <returns>Props.</returns>
    public static Props CreateProps(Func<CancellationToken, Source<AnalyticsEvent, NotUsed>> source, Action stopIntake, ISyncSink sink, SyncMetrics metrics, SyncOptions options)
        => Props.Create(() => new SyncActor(source, stopIntake, sink, metrics, options));

    /// <inheritdoc />
    protected override void PreStart() => RunStream();

    /// <inheritdoc />
    protected override void PreRestart(Exception reason, object message)
    {
        // Unlike the default, keep the tap and the books open: the restarted actor runs a new stream on the same queue.
        // Events inside the old stream stay pending and count as undelivered at shutdown.
        _stopDelivery.Cancel();
        foreach (var child in Context.GetChildren()) Context.Stop(child);
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        // Stopped without a flush (system terminated another way): stop intake and still account for every event.
        _stopDelivery.Cancel();
        StopIntake();
        if (!_flushed)
        {
            var left = _metrics.Close();
            if (left > 0) _log.Warning("Sync stopped without a flush: {LeftUnsent} events counted as undelivered", left);
        }
    }

    private void RunStream()
    {
        var sink = _sink;
        var token = _stopDelivery.Token;
        var metrics = _metrics;
        var completion = _source(token)
            .ViaDelivery(_options.BatchSize, _options.Interval, _options.Parallelism, batch => sink.DeliverAsync(batch, token))
            .RunWith(Sink.ForEach<BatchOutcome>(metrics.Settle), Context.Materializer());
        completion.PipeTo(Self, success: () => StreamCompleted.Instance, failure: ex => new StreamFailed(ex));
    }

    private void OnFlush(Flush flush)
    {
        if (_flushed)
        {
            Sender.Tell(new Flushed(_metrics.Snapshot(), 0));
            return;
        }
        _flushWaiters.Add(Sender);
        if (_flushing) return;
        _flushing = true;
        StopIntake();
        if (_streamDone) Finish();
        else Timers.StartSingleTimer(nameof(FlushDeadline), FlushDeadline.Instance, flush.Timeout);
    }

    private void OnStreamDone()
    {
        _streamDone = true;
        if (_flushing) Finish();
    }

    private void OnStreamFailed(StreamFailed failed)
    {
        if (_flushing)
        {
            _log.Error(failed.Cause, "The sync stream failed during the flush");
            OnStreamDone();
            return;
        }
        // Deliveries never throw into the stream, so this is a defect; run a new stream on the same queue rather than
        // lose the rest. Events that were inside the failed stream stay pending and count as undelivered at shutdown.
        _log.Error(failed.Cause, "The sync stream failed; starting a new one in {Delay}", StreamRestartDelay);
        Timers.StartSingleTimer(nameof(RestartStream), RestartStream.Instance, StreamRestartDelay);
    }

    private void OnFlushDeadline()
    {
        if (_streamDone || _flushed) return;
        _log.Warning("Sync flush timeout passed with {Pending} events not yet settled; cancelling delivery", _metrics.Snapshot().Pending);
        _stopDelivery.Cancel(); // the sink settles cancelled and not-yet-sent events as undelivered, so the stream completes
        Timers.StartSingleTimer(nameof(CancelGraceOver), CancelGraceOver.Instance, CancelGrace);
    }

    private void OnCancelGraceOver()
    {
        if (_flushed) return;
        _log.Warning("The sync stream did not finish within {Grace} after cancellation; closing the books", CancelGrace);
        Finish();
    }

    private void Finish()
    {
        _flushed = true;
        Timers.CancelAll();
        // The summary is logged by the shutdown task (an ILogger), which outlives the actor system's log stream.
        var leftUnsent = _metrics.Close();
        var c = _metrics.Snapshot();
        var reply = new Flushed(c, leftUnsent);
        foreach (var waiter in _flushWaiters) waiter.Tell(reply);
        _flushWaiters.Clear();
    }

    /// <summary>
    /// Ends intake: the queue is completed, so the stream completes once it is empty. The tap stays attached on
    /// purpose: an event recorded after this (a host still serving during shutdown) is refused by the completed
    /// queue and counted as sync-dropped, instead of vanishing from the accounting.
    /// </summary>
    private void StopIntake() => _stopIntake();

    /// <summary>Flush and stop taking events; answered with <see cref="Flushed"/>.</summary>
    /// <param name="Timeout">How long delivery may go on before it is cancelled.</param>
    public sealed record Flush(TimeSpan Timeout);

    /// <summary>The flush is over.</summary>
    /// <param name="Counters">The final counters.</param>
    /// <param name="LeftUnsettled">Events that were still unsettled when the books were closed (counted as undelivered).</param>
    public sealed record Flushed(SyncCounters Counters, long LeftUnsettled);

    private sealed class StreamCompleted
    {
        public static readonly StreamCompleted Instance = new();
    }

    private sealed record StreamFailed(Exception Cause);

    private sealed class RestartStream
    {
        public static readonly RestartStream Instance = new();
    }

    private sealed class FlushDeadline
    {
        public static readonly FlushDeadline Instance = new();
    }

    private sealed class CancelGraceOver
    {
        public static readonly CancelGraceOver Instance = new();
    }
}
