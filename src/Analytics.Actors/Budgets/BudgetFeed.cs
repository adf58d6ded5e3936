using System.Threading.Channels;
using Analytics.Actors.Ingress;
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
/// Where the evaluator reads completed requests from, off every caller's and the pump's thread. Today a tap of the pump
/// (<see cref="TapBudgetFeed"/>); kept this small so a cheaper per-request feed of the pump can replace it.
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
/// budgets only, counted in <see cref="Dropped"/>.
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
