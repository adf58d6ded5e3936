using System.Numerics;
using System.Runtime.CompilerServices;

namespace Analytics.Actors.Ingress;

/// <summary>
/// The lock-free ingress: a few <see cref="IngressShard"/>s so that concurrent producers mostly CAS
/// different cache lines. A producer writes to its home shard and, when that shard is full, tries the
/// others before dropping, so one busy thread can use the whole capacity. The total capacity is exactly
/// what was configured.
/// </summary>
/// <remarks>
/// A thread's home shard comes from a number it is given on its first write, in order of first write
/// (process-wide), so the first N producer threads land on N different shards instead of colliding
/// when their managed thread ids happen to share low bits. The number lives in a thread-static field,
/// which is cheaper to read than <see cref="Environment.CurrentManagedThreadId"/> (a call). A thread keeps
/// its home shard, so one thread's events stay in order (until its shard is full).
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

    /// <summary>Writes without counting a drop when every shard is full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWrite(in IngressRecord record)
    {
        ref var slot = ref TryClaim();
        if (Unsafe.IsNullRef(ref slot)) return false;
        slot.Record = record;
        IngressShard.Publish(ref slot);
        return true;
    }

    /// <summary>Writes, or counts a drop when every shard is full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool WriteOrDrop(in IngressRecord record)
    {
        if (TryWrite(record)) return true;
        CountDrop();
        return false;
    }

    /// <summary>
    /// Claims a slot in the caller's home shard, else in any other, to fill in place (see
    /// <see cref="IngressShard.TryClaim"/>); a null reference when every shard is full.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref IngressShard.Slot TryClaim()
    {
        var shards = _shards;
        var first = HomeShard() & _mask;
        ref var slot = ref shards[first].TryClaim();
        if (!Unsafe.IsNullRef(ref slot) || shards.Length == 1) return ref slot;
        return ref ClaimElsewhere(first);
    }

    /// <summary>The index of the calling thread's home shard in <see cref="Shards"/>.</summary>
    public int HomeShardIndex => HomeShard() & _mask;

    /// <summary>Counts one event dropped because every shard was full (on the caller's home shard).</summary>
    public void CountDrop() => _shards[HomeShard() & _mask].CountDrop();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private ref IngressShard.Slot ClaimElsewhere(int first)
    {
        for (var i = 1; i < _shards.Length; i++)
        {
            ref var slot = ref _shards[(first + i) & _mask].TryClaim();
            if (!Unsafe.IsNullRef(ref slot)) return ref slot;
        }
        return ref Unsafe.NullRef<IngressShard.Slot>();
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
}
