using System.Runtime.CompilerServices;

namespace Analytics.Actors.Ingress;

/// <summary>
/// The lock-free ingress: one single-producer <see cref="IngressSegment"/> for each of the first producer threads, and
/// a shared multi-producer <see cref="IngressShard"/> for the threads that come after and for events that overflow a
/// full segment. The total capacity is exactly what was configured; the shared ring gets at least half of it.
/// </summary>
/// <remarks>
/// <para>A thread gets its segment on its first write (a lease: one CAS, then a thread-static reference) and keeps it
/// while it lives. A segment whose holder has died is free again: the next thread that looks for one takes it over
/// (threads come and go in a thread pool, and a dead holder's lease might otherwise wait for a garbage collection,
/// which a hot path that allocates nothing rarely causes), with whatever it still holds readable. A thread writes to
/// several recorders through one lease per recorder (at most <see cref="MaxLeasesPerThread"/>, the oldest released
/// first). A thread that found no free segment writes to the shared ring and asks again every
/// <see cref="RetryLeaseEvery"/> writes, so it gets a segment once one is freed.</para>
/// <para>One thread's events stay in order as long as its segment has room; once it overflows into the shared ring,
/// the pump may fold the overflow before the rest of the segment (order is not part of the contract).</para>
/// </remarks>
internal sealed class IngressBuffer
{
    /// <summary>Smallest segment worth having: below it a thread would overflow into the shared ring most of the time.</summary>
    public const int MinSegmentCapacity = 256;

    /// <summary>Leases one thread keeps (one per recorder it writes to) before it gives the oldest back.</summary>
    public const int MaxLeasesPerThread = 8;

    /// <summary>A segment count that means none: every write goes through the shared ring.</summary>
    public const int NoSegments = -1;

    /// <summary>Writes through the shared ring between two attempts of a segment-less thread to lease one.</summary>
    public const int RetryLeaseEvery = 1024;

    [ThreadStatic] private static SegmentLease? t_lastLease;
    [ThreadStatic] private static List<SegmentLease>? t_leases;

    private readonly IngressSegment[] _segments;
    private readonly IngressShard _shared;

    /// <param name="capacity">Total slots across every segment and the shared ring.</param>
    /// <param name="segments">Per-thread segments; 0 picks two per core, 8..64. Fewer when a segment would get less
    /// than <see cref="MinSegmentCapacity"/> slots out of half the capacity. <see cref="NoSegments"/> puts every write
    /// through the shared ring (the benchmarks' A/B of the segments).</param>
    public IngressBuffer(int capacity, int segments = 0)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "The ingress buffer needs at least one slot.");
        if (segments == NoSegments) segments = 0;
        else if (segments <= 0) segments = Math.Clamp(2 * Environment.ProcessorCount, 8, 64);
        segments = Math.Min(segments, capacity / 2 / MinSegmentCapacity);
        var segmentCapacity = segments == 0 ? 0 : capacity / 2 / segments;
        _segments = new IngressSegment[segments];
        for (var i = 0; i < segments; i++) _segments[i] = new IngressSegment(segmentCapacity);
        _shared = new IngressShard(capacity - segments * segmentCapacity);
        Capacity = capacity;
    }

    /// <summary>Total slots.</summary>
    public int Capacity { get; }

    /// <summary>The per-thread segments, for the single consumer.</summary>
    public IngressSegment[] Segments => _segments;

    /// <summary>The shared ring, for the single consumer.</summary>
    public IngressShard Shared => _shared;

    /// <summary>
    /// The calling thread's segment, leased on its first call; null when every segment is held by another thread (the
    /// caller then writes to <see cref="Shared"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public IngressSegment? ThreadSegment()
    {
        var lease = t_lastLease;
        if (lease is not null && ReferenceEquals(lease.Buffer, this)) return lease.Segment ?? lease.Retry();
        return LeaseForThisThread();
    }

    /// <summary>Sets the fill, in percent of each ring's capacity, from which a producer checks whether to wake the pump.</summary>
    public void SetWakeMark(int percent)
    {
        foreach (var s in _segments) s.SetWakeMark(percent);
        _shared.SetWakeMark(percent);
    }

    /// <summary>Consumer side: true when the shared ring or any segment holds at least its wake mark of events.</summary>
    public bool AnyFilling()
    {
        if (_shared.IsFilling()) return true;
        foreach (var s in _segments)
        {
            if (s.IsFilling()) return true;
        }
        return false;
    }

    /// <summary>Writes a whole record (the rarer lifecycle and pre-built events) without counting a drop when full.</summary>
    public bool TryWrite(in IngressRecord record)
    {
        if (ThreadSegment() is { } segment)
        {
            ref var slot = ref segment.TryClaim();
            if (!Unsafe.IsNullRef(ref slot))
            {
                slot = record;
                segment.Publish();
                return true;
            }
        }
        return _shared.TryWrite(record);
    }

    /// <summary>Writes, or counts a drop when the caller's segment and the shared ring are full.</summary>
    public bool WriteOrDrop(in IngressRecord record)
    {
        if (TryWrite(record)) return true;
        CountDrop();
        return false;
    }

    /// <summary>Counts one event dropped because there was no room.</summary>
    public void CountDrop() => _shared.CountDrop();

    /// <summary>Events written so far.</summary>
    public long Accepted
    {
        get
        {
            var sum = _shared.Accepted;
            foreach (var s in _segments) sum += s.Accepted;
            return sum;
        }
    }

    /// <summary>Events dropped so far.</summary>
    public long Dropped => _shared.Dropped;

    /// <summary>Events written but not yet drained.</summary>
    public long Pending
    {
        get
        {
            // Consumed first: a write racing with this read can only make the result larger, never negative.
            var consumed = _shared.Consumed;
            var sum = _shared.Accepted - consumed;
            foreach (var s in _segments)
            {
                consumed = s.Consumed;
                sum += s.Accepted - consumed;
            }
            return sum;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private IngressSegment? LeaseForThisThread()
    {
        var leases = t_leases ??= new List<SegmentLease>(MaxLeasesPerThread);
        foreach (var held in leases)
        {
            if (!ReferenceEquals(held.Buffer, this)) continue;
            t_lastLease = held;
            return held.Segment;
        }
        if (leases.Count == MaxLeasesPerThread)
        {
            leases[0].Dispose();
            leases.RemoveAt(0);
        }
        var lease = new SegmentLease(this, TakeFreeSegment());
        leases.Add(lease);
        t_lastLease = lease;
        return lease.Segment;
    }

    private IngressSegment? TakeFreeSegment()
    {
        foreach (var s in _segments)
        {
            if (s.TryLease()) return s;
        }
        return null;
    }

    /// <summary>
    /// One thread's hold on one segment of one buffer, reachable only from that thread's statics: when the thread dies
    /// the lease becomes garbage and its finalizer gives the segment back, if no other thread took it over first.
    /// </summary>
    private sealed class SegmentLease(IngressBuffer buffer, IngressSegment? segment)
    {
        private readonly Thread _thread = Thread.CurrentThread;
        private int _misses;

        public IngressBuffer Buffer { get; } = buffer;

        public IngressSegment? Segment { get; private set; } = segment;

        /// <summary>Segment-less: every <see cref="RetryLeaseEvery"/> calls, try to take a segment freed since.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public IngressSegment? Retry()
        {
            if (++_misses % RetryLeaseEvery != 0) return null;
            return Segment = Buffer.TakeFreeSegment();
        }

        public void Dispose()
        {
            Segment?.Release();
            Segment = null;
            GC.SuppressFinalize(this);
        }

        ~SegmentLease() => Segment?.ReleaseFrom(_thread);
    }
}
