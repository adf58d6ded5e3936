using System.Threading.Channels;
using Analytics.Actors.Ingress;
using Analytics.Actors.Metrics;
using Analytics.Contracts;

namespace Analytics.Actors.Budgets;

/// <summary>What the evaluator needs of one completed request.</summary>
/// <param name="EventId">The event's id (to recognise one the store already held at start).</param>
/// <param name="TimestampMs">Its timestamp: the window it counts in.</param>
/// <param name="CostMicros">Its priced cost.</param>
/// <param name="Model">The model as recorded.</param>
/// <param name="Provider">The canonical provider.</param>
/// <param name="AgentId">The agent, if any.</param>
internal readonly record struct SpendRecord(string? EventId, long TimestampMs, long CostMicros, string Model, string Provider, string? AgentId);

/// <summary>
/// Where the evaluator reads completed requests from, off every caller's and the pump's thread: the pump's samples
/// (<see cref="SampleBudgetFeed"/>, no event object per request) or, when the evaluator needs event ids, a tap of its
/// events (<see cref="TapBudgetFeed"/>).
/// </summary>
internal interface IBudgetFeed
{
    /// <summary>Takes the next completed request, skipping anything else; false when nothing is queued.</summary>
    bool TryRead(out SpendRecord record);

    /// <summary>Completes when something can be read (true) or the feed has ended (false).</summary>
    ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken);

    /// <summary>Items the feed accepted so far (what the evaluator will have read once it caught up).</summary>
    long Accepted { get; }

    /// <summary>Items read so far, skipped ones included.</summary>
    long Taken { get; }

    /// <summary>Requests the feed could not take (its queue was full): never evaluated.</summary>
    long Dropped { get; }

    /// <summary>True when the queue can take <paramref name="inFlight"/> more items with a margin (for producers that can wait).</summary>
    bool HasRoom(long inFlight);

    /// <summary>Starts receiving requests (before the pump's first drain).</summary>
    void Attach();

    /// <summary>Stops receiving; what is queued can still be read, then <see cref="WaitToReadAsync"/> returns false. Idempotent.</summary>
    void Detach();
}

/// <summary>
/// The feed as a tap of the pump: every LLM event the pump drains is offered to a bounded channel with
/// <c>TryWrite</c> (never waiting); the one reader takes the completed requests. A full channel costs the event to the
/// budgets only, counted in <see cref="Dropped"/>. Used when the store is on: the evaluator then needs each request's
/// event id (to recognise one the ledger already held at start), and the store's own tap makes the event objects anyway.
/// </summary>
internal sealed class TapBudgetFeed : IBudgetFeed
{
    private readonly UsageRecorder _recorder;
    private readonly EventTap _tap;
    private readonly ChannelReader<AnalyticsEvent> _reader;
    private readonly int _capacity;
    private long _taken;

    public TapBudgetFeed(UsageRecorder recorder, int capacity)
    {
        _recorder = recorder;
        _capacity = capacity;
        var queue = Channel.CreateBounded<AnalyticsEvent>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true, // the pump
            FullMode = BoundedChannelFullMode.Wait, // with TryWrite this means "refuse": the tap counts it
        });
        _reader = queue.Reader;
        _tap = new EventTap(queue.Writer, llmEventsOnly: true, isSubscription: false);
    }

    public long Accepted => _tap.Accepted;

    public long Taken => Volatile.Read(ref _taken);

    public long Dropped => _tap.Dropped;

    public bool TryRead(out SpendRecord record)
    {
        while (_reader.TryRead(out var e))
        {
            Volatile.Write(ref _taken, _taken + 1);
            if (e is LlmRequestCompleted c)
            {
                record = new SpendRecord(c.EventId, c.TimestampMs, c.CostMicros, c.Model, c.Provider, c.AgentId);
                return true;
            }
        }
        record = default;
        return false;
    }

    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) => _reader.WaitToReadAsync(cancellationToken);

    public bool HasRoom(long inFlight) => _reader.Count + inFlight + Math.Min(64, _capacity / 4) <= _capacity;

    public void Attach() => _recorder.Taps.Add(_tap);

    public void Detach()
    {
        _recorder.Taps.Remove(_tap);
        _tap.Complete();
    }
}

/// <summary>
/// The feed as a feed of the pump's samples, like the meter's: per completed or failed request the pump writes a
/// <see cref="MeterSample"/> (string references, counts, cost, timestamp) into its per-batch buffer and hands the batch
/// over once; no event object, no id. Measured (docs/benchmarks.md, 10b): the pump folds at 143 ns a request with this
/// feed and about 1,060 ns with <see cref="TapBudgetFeed"/> as its only tap. Used without the store, where no event id is
/// needed. Items are samples (failed requests included, skipped when read); a full queue drops the
/// batch's samples that do not fit, counted in <see cref="Dropped"/>.
/// </summary>
internal sealed class SampleBudgetFeed(UsageRecorder recorder, int capacity) : IBudgetFeed
{
    private readonly MeterFeed _feed = new(capacity, wantsTimestamps: true);
    // The batch being read (its Batch is null between batches) and the next sample of it.
    private MeterFeed.Item _item;
    private int _next;
    private long _taken;

    public long Accepted => _feed.Accepted;

    public long Taken => Volatile.Read(ref _taken);

    public long Dropped => _feed.Dropped;

    public bool TryRead(out SpendRecord record)
    {
        while (true)
        {
            if (_item.Batch is null)
            {
                if (!_feed.Reader.TryRead(out _item))
                {
                    record = default;
                    return false;
                }
                _feed.Taken(_item);
                _next = 0;
            }
            var samples = _item.Batch.Samples[.._item.Count];
            while (_next < samples.Length)
            {
                ref readonly var s = ref samples[_next++];
                Volatile.Write(ref _taken, _taken + 1);
                if (s.Failed) continue;
                record = new SpendRecord(null, s.TimestampMs, s.CostMicros, s.Model, s.Provider, s.Agent);
                if (_next == samples.Length) Release();
                return true;
            }
            Release();
        }
    }

    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken)
        => _item.Batch is not null ? ValueTask.FromResult(true) : _feed.Reader.WaitToReadAsync(cancellationToken);

    // The feed takes what fits of each batch, so room for what is in flight is room for all of it.
    public bool HasRoom(long inFlight) => _feed.Queued + inFlight + Math.Min(64, capacity / 4) <= capacity;

    public void Attach() => recorder.MeterFeeds.Add(_feed);

    public void Detach()
    {
        recorder.MeterFeeds.Remove(_feed);
        _feed.Complete();
    }

    /// <summary>Done with the batch in hand: back to the pump's pool once every feed is.</summary>
    private void Release()
    {
        _item.Batch.Release();
        _item = default;
    }
}
