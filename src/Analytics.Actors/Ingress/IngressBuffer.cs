using System.Numerics;
using System.Runtime.CompilerServices;

namespace Analytics.Actors.Ingress;

/// <summary>
/// The lock-free ingress: a few <see cref="IngressShard"/>s so that concurrent producers mostly CAS
/// different cache lines. A producer writes to the shard picked by its managed thread id and, when
/// that shard is full, tries the others before dropping, so one busy thread can use the whole
/// capacity. The total capacity is exactly what was configured.
/// </summary>
internal sealed class IngressBuffer
{
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
        var shards = _shards;
        var first = Environment.CurrentManagedThreadId & _mask;
        if (shards[first].TryWrite(record)) return true;
        return shards.Length > 1 && TryOthers(record, first);
    }

    /// <summary>Writes, or counts a drop when every shard is full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool WriteOrDrop(in IngressRecord record)
    {
        if (TryWrite(record)) return true;
        _shards[Environment.CurrentManagedThreadId & _mask].CountDrop();
        return false;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryOthers(in IngressRecord record, int first)
    {
        for (var i = 1; i < _shards.Length; i++)
        {
            if (_shards[(first + i) & _mask].TryWrite(record)) return true;
        }
        return false;
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
