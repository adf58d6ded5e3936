using System.Threading.Channels;
using Analytics.Actors.Ingress;
using Analytics.Actors.Pump;

namespace Analytics.Actors.Metrics;

/// <summary>
/// The queue between the pump and one meter's reader: the pump offers each drained batch of <see cref="MeterSample"/>s
/// once (<see cref="Offer"/>, never blocking), the reader takes them on a thread of its own. At most a capacity of
/// samples wait; what does not fit is counted in <see cref="Dropped"/> and never measured (the stats still count it).
/// </summary>
internal sealed class MeterFeed
{
    private readonly Channel<Item> _queue = Channel.CreateUnbounded<Item>(new UnboundedChannelOptions
    {
        SingleReader = true,
        // The pump writes, and whoever stops the meter completes it: not a single writer.
        SingleWriter = false,
    });
    private readonly int _capacity;
    private long _queued;
    private long _dropped;
    private long _accepted;

    /// <summary>Creates a feed holding at most <paramref name="capacity"/> samples.</summary>
    /// <param name="capacity">Most samples waiting.</param>
    /// <param name="wantsTimestamps">Whether its reader needs <see cref="MeterSample.TimestampMs"/> (the pump then reads the clock for them).</param>
    public MeterFeed(int capacity, bool wantsTimestamps = false)
    {
        _capacity = capacity;
        WantsTimestamps = wantsTimestamps;
    }

    /// <summary>Whether the samples it gets must carry their timestamps.</summary>
    public bool WantsTimestamps { get; }

    /// <summary>Samples queued so far (what the reader will have had once it caught up).</summary>
    public long Accepted => Volatile.Read(ref _accepted);

    /// <summary>Samples waiting for the reader.</summary>
    public long Queued => Volatile.Read(ref _queued);

    /// <summary>The reader's end.</summary>
    public ChannelReader<Item> Reader => _queue.Reader;

    /// <summary>Samples the feed could not take (full, or completed).</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>
    /// Pump only. Queues as many of <paramref name="batch"/>'s samples as fit (the first ones) and counts the rest as
    /// dropped; releases the batch when it takes none.
    /// </summary>
    public void Offer(MeterBatch batch)
    {
        // Read before the hand-over: once queued, the reader may measure and release the batch (clearing it) at any time.
        var count = batch.Count;
        // Only the reader takes samples out meanwhile, so the room can only grow between this read and the add.
        var take = (int)Math.Min(count, _capacity - Volatile.Read(ref _queued));
        if (take > 0)
        {
            Interlocked.Add(ref _queued, take);
            if (_queue.Writer.TryWrite(new Item(batch, take)))
            {
                Interlocked.Add(ref _accepted, take);
                if (take < count) Interlocked.Add(ref _dropped, count - take);
                return;
            }
            Interlocked.Add(ref _queued, -take);
        }
        Interlocked.Add(ref _dropped, count);
        batch.Release();
    }

    /// <summary>Reader only: <paramref name="item"/> was taken out of the queue (its samples no longer wait).</summary>
    public void Taken(in Item item) => Interlocked.Add(ref _queued, -item.Count);

    /// <summary>Ends the queue: the reader measures what waits, later offers are dropped.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>A batch, and how many of its samples (the first ones) this feed took.</summary>
    /// <param name="Batch">The batch; release it when done.</param>
    /// <param name="Count">Samples taken.</param>
    public readonly record struct Item(MeterBatch Batch, int Count);
}

/// <summary>
/// The pump's side of the meter feeds: the batch of samples being filled, handed to every feed at the end of each drained
/// batch (or when full). Pump only.
/// </summary>
internal sealed class MeterHandOff(TapRegistry<MeterFeed> registry)
{
    // Enough for a default meter queue (10,000 samples, 20 batches) plus the one being filled: a drain of a large backlog
    // hands over many batches at once, and they come back once measured. About 1.2 MB at most.
    private readonly BatchPool<MeterBatch> _pool = MeterBatch.NewPool(retain: 24);
    private MeterFeed[] _feeds = [];
    private MeterBatch? _batch;

    /// <summary>True when some meter wants samples this batch.</summary>
    public bool Active => _feeds.Length > 0;

    /// <summary>True when some feed of this batch wants the samples' timestamps.</summary>
    public bool Timestamps { get; private set; }

    /// <summary>At the start of a drain: the feeds this batch goes to (one registry read per batch, not per request).</summary>
    public void Begin()
    {
        HandOver();
        _feeds = registry.Current;
        var timestamps = false;
        foreach (var feed in _feeds) timestamps |= feed.WantsTimestamps;
        Timestamps = timestamps;
    }

    /// <summary>The next sample, to fill in place (every field); only while <see cref="Active"/>.</summary>
    public ref MeterSample Add()
    {
        if (_batch is { Full: true }) HandOver();
        return ref (_batch ??= _pool.Rent()).Add();
    }

    /// <summary>Gives the samples so far to every feed.</summary>
    public void HandOver()
    {
        if (_batch is not { } batch) return;
        _batch = null;
        batch.HandOver(_feeds.Length);
        foreach (var feed in _feeds) feed.Offer(batch);
    }
}
