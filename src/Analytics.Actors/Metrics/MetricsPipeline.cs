using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Analytics.Actors.Ingress;
using Analytics.Contracts;

namespace Analytics.Actors.Metrics;

/// <summary>
/// Feeds the <see cref="UsageMeter"/> off every caller's thread: an <see cref="EventTap"/> the pump offers each LLM
/// event to (as it does for sync), drained by one reader task that records the measurements. Nothing is added to the
/// pump's loop, and a meter slower than the pump costs measurements (counted), never stats or sync.
/// </summary>
internal sealed class MetricsPipeline
{
    private readonly UsageRecorder _recorder;
    private readonly EventTap _tap;
    private readonly ChannelReader<AnalyticsEvent> _reader;
    private long _measured;
    private long _failed;

    private MetricsPipeline(UsageRecorder recorder, IMeterFactory factory, MetricsOptions options, SyncStatus? sync, StoreSignalsSource? store)
    {
        _recorder = recorder;
        var queue = Channel.CreateBounded<AnalyticsEvent>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            SingleWriter = true, // the pump
            FullMode = BoundedChannelFullMode.Wait, // with TryWrite this means "refuse": the tap counts it
        });
        _reader = queue.Reader;
        _tap = new EventTap(queue.Writer, llmEventsOnly: true, isSubscription: false);
        Meter = new UsageMeter(factory, options, new UsageSignals(recorder, sync, store, () => _tap.Dropped + Volatile.Read(ref _failed)));
    }

    /// <summary>The meter this pipeline feeds.</summary>
    public UsageMeter Meter { get; }

    /// <summary>Events measured so far.</summary>
    public long Measured => Volatile.Read(ref _measured);

    /// <summary>Ends when the pipeline was stopped and every queued event was measured.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>Creates the meter, attaches the tap to <paramref name="recorder"/> and starts reading.</summary>
    public static MetricsPipeline Start(UsageRecorder recorder, IMeterFactory factory, MetricsOptions options, SyncStatus? sync = null, StoreSignalsSource? store = null)
    {
        var pipeline = new MetricsPipeline(recorder, factory, options, sync, store);
        pipeline.Completion = Task.Run(pipeline.ReadAsync);
        recorder.Taps.Add(pipeline._tap);
        return pipeline;
    }

    /// <summary>
    /// Detaches the tap and completes the queue: what is queued is still measured, then <see cref="Completion"/> ends.
    /// Call it after the pump's final drain. Idempotent.
    /// </summary>
    public Task StopAsync()
    {
        _recorder.Taps.Remove(_tap);
        _tap.Complete();
        return Completion;
    }

    private async Task ReadAsync()
    {
        while (await _reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (_reader.TryRead(out var e))
            {
                try
                {
                    Meter.Measure(e);
                    Interlocked.Increment(ref _measured);
                }
                catch (Exception)
                {
                    // A listener's callback threw: that measurement is lost (counted as not measured), the reader goes on.
                    Interlocked.Increment(ref _failed);
                }
            }
        }
    }
}
