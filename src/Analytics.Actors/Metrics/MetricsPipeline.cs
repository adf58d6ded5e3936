using System.Diagnostics.Metrics;

namespace Analytics.Actors.Metrics;

/// <summary>
/// Feeds the <see cref="UsageMeter"/> off every caller's thread: a <see cref="MeterFeed"/> the pump hands each drained
/// batch of <see cref="MeterSample"/>s to (one small struct per request, no event object, no id), drained by one reader
/// task that records the measurements. A meter slower than the pump costs measurements (counted), never stats or sync.
/// </summary>
internal sealed class MetricsPipeline
{
    private readonly UsageRecorder _recorder;
    private readonly MeterFeed _feed;
    private long _measured;
    private long _failed;

    private MetricsPipeline(UsageRecorder recorder, IMeterFactory factory, MetricsOptions options, SyncStatus? sync, StoreSignalsSource? store)
    {
        _recorder = recorder;
        _feed = new MeterFeed(options.QueueCapacity);
        Meter = new UsageMeter(factory, options, new UsageSignals(recorder, sync, store, () => _feed.Dropped + Volatile.Read(ref _failed)));
    }

    /// <summary>The meter this pipeline feeds.</summary>
    public UsageMeter Meter { get; }

    /// <summary>Requests measured so far.</summary>
    public long Measured => Volatile.Read(ref _measured);

    /// <summary>Ends when the pipeline was stopped and every queued request was measured.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>Creates the meter, attaches its feed to <paramref name="recorder"/> and starts reading.</summary>
    public static MetricsPipeline Start(UsageRecorder recorder, IMeterFactory factory, MetricsOptions options, SyncStatus? sync = null, StoreSignalsSource? store = null)
    {
        var pipeline = new MetricsPipeline(recorder, factory, options, sync, store);
        pipeline.Completion = Task.Run(pipeline.ReadAsync);
        recorder.MeterFeeds.Add(pipeline._feed);
        return pipeline;
    }

    /// <summary>
    /// Detaches the feed and completes it: what is queued is still measured, then <see cref="Completion"/> ends.
    /// Call it after the pump's final drain. Idempotent.
    /// </summary>
    public Task StopAsync()
    {
        _recorder.MeterFeeds.Remove(_feed);
        _feed.Complete();
        return Completion;
    }

    private async Task ReadAsync()
    {
        var reader = _feed.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var item))
            {
                _feed.Taken(item);
                Measure(item);
                item.Batch.Release();
            }
        }
    }

    private void Measure(in MeterFeed.Item item)
    {
        var samples = item.Batch.Samples[..item.Count];
        for (var i = 0; i < samples.Length; i++)
        {
            try
            {
                Meter.Measure(samples[i]);
                Volatile.Write(ref _measured, _measured + 1);
            }
            catch (Exception)
            {
                // A listener's callback threw: that measurement is lost (counted as not measured), the reader goes on.
                Interlocked.Increment(ref _failed);
            }
        }
    }
}
