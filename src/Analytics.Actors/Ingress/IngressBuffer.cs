using System.Numerics;
using System.Runtime.CompilerServices;

namespace Analytics.Actors.Ingress;

/// <summary>
/// The lock-free ingress: a few <see cref="IngressShard"/>s so that concurrent producers mostly CAS different cache
/// lines. A producer writes to its home shard and, when that shard is full, tries the others before dropping, so one
/// busy thread can use the whole capacity. The total capacity is exactly what was configured.
/// </summary>
/// <remarks>
/// <para>A thread's home shard comes from a number it is given on its first write, in order of first write
/// (process-wide), so the first N producer threads land on N different shards instead of colliding when their managed
/// thread ids happen to share low bits. The number lives in a thread-static field, which is cheaper to read than
/// <see cref="Environment.CurrentManagedThreadId"/> (a call). A thread keeps its home shard, so one thread's events stay
/// in order (until its shard is full).</para>
/// <para>Per-thread single-producer segments (no CAS per write) were built and measured against this in the gateway
/// benchmarks for issue 13; they won no regime clearly on the 2-core machine (docs/benchmarks.md), so the simpler
/// sharded ring stayed.</para>
/// </remarks>
internal sealed class IngressBuffer
{
    [ThreadStatic] private static int t_threadNumber;
    private static int s_threadsSeen;

    private readonly IngressShard[] _shards;
    private readonly int _mask;

    /// <param name="capacity">Total slots across every shard.</param>
    /// <param name="shards">Shard count (rounded up to a power of two); 0 picks one per core, at most 8.</param>
    public IngressBuffer(int capacity, int shards = 0)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "The ingress buffer needs at least one slot.");
        if (shards <= 0) shards = Math.Min(8, Environment.ProcessorCount);
        var count = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, Math.Min(shards, capacity)));
        while (count > capacity) count >>= 1;
        _shards = new IngressShard[count];
        var baseSize = capacity / count;
        var extra = capacity % count;
        for (var i = 0; i < count; i++) _shards[i] = new IngressShard(baseSize + (i < extra ? 1 : 0));
        _mask = count - 1;
        Capacity = capacity;
    }

    /// <summary>Total slots.</summary>
    public int Capacity { get; }

    /// <summary>The shards, for the single consumer.</summary>
    public IngressShard[] Shards => _shards;

    /// <summary>The index of the calling thread's home shard in <see cref="Shards"/>.</summary>
    public int HomeShardIndex => HomeShard() & _mask;

    /// <summary>
    /// Claims a slot in the caller's home shard, else in any other; returns the shard (and the slot's index in it) or
    /// null when every shard is full. The caller fills every field of the slot, then publishes it (see
    /// <see cref="IngressShard.TryClaim"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public IngressShard? TryClaim(out int index)
    {
        var shards = _shards;
        var first = HomeShard() & _mask;
        var shard = shards[first];
        index = shard.TryClaim();
        if (index >= 0) return shard;
        return shards.Length == 1 ? null : ClaimElsewhere(first, out index);
    }

    /// <summary>Sets the fill, in percent of each shard's capacity, from which a write checks whether to wake the pump.</summary>
    public void SetWakeMark(int percent)
    {
        foreach (var s in _shards) s.SetWakeMark(percent);
    }

    /// <summary>Consumer side: true when any shard holds at least its wake mark of events.</summary>
    public bool AnyFilling()
    {
        foreach (var s in _shards)
        {
            if (s.IsFilling()) return true;
        }
        return false;
    }

    /// <summary>Writes a whole record (the rarer lifecycle and pre-built events) without counting a drop when full.</summary>
    public bool TryWrite(in IngressRecord record)
    {
        var shard = TryClaim(out var index);
        if (shard is null) return false;
        shard.Slot(index) = record;
        shard.Publish(index);
        return true;
    }

    /// <summary>Writes, or counts a drop when every shard is full.</summary>
    public bool WriteOrDrop(in IngressRecord record)
    {
        if (TryWrite(record)) return true;
        CountDrop();
        return false;
    }

    /// <summary>Counts one event dropped because every shard was full (on the caller's home shard).</summary>
    public void CountDrop() => _shards[HomeShard() & _mask].CountDrop();

    /// <summary>Events written so far.</summary>
    public long Accepted
    {
        get
        {
            long sum = 0;
            foreach (var s in _shards) sum += s.Accepted;
            return sum;
        }
    }

    /// <summary>Events dropped so far.</summary>
    public long Dropped
    {
        get
        {
            long sum = 0;
            foreach (var s in _shards) sum += s.Dropped;
            return sum;
        }
    }

    /// <summary>Events written but not yet drained.</summary>
    public long Pending
    {
        get
        {
            long sum = 0;
            // Consumed first: a write racing with this read can only make the result larger, never negative.
            foreach (var s in _shards)
            {
                var consumed = s.Consumed;
                sum += s.Accepted - consumed;
            }
            return sum;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private IngressShard? ClaimElsewhere(int first, out int index)
    {
        for (var i = 1; i < _shards.Length; i++)
        {
            var shard = _shards[(first + i) & _mask];
            index = shard.TryClaim();
            if (index >= 0) return shard;
        }
        index = -1;
        return null;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int HomeShard()
    {
        var number = t_threadNumber;
        return number != 0 ? number : NumberThisThread();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int NumberThisThread()
    {
        var number = Interlocked.Increment(ref s_threadsSeen);
        if (number == 0) number = Interlocked.Increment(ref s_threadsSeen); // 0 means "unnumbered" (after 2^32 threads)
        t_threadNumber = number;
        return number;
    }
}
