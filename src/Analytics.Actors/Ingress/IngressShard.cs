using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Analytics.Actors.Ingress;

/// <summary>
/// A bounded multi-producer, single-consumer ring of <see cref="IngressRecord"/> with an exact
/// capacity (no power-of-two rounding) and no division on the write path.
/// </summary>
/// <remarks>
/// Positions are packed as <c>lap &lt;&lt; 32 | index</c>, so moving to the next slot is an add or a
/// reset instead of a modulo. Each slot carries a turn number: <c>2 * lap</c> means free for the
/// producer of that lap, <c>2 * lap + 1</c> means written and waiting for the consumer. A producer
/// claims a slot with one CAS on the tail, writes it, then publishes it with a release store of the
/// turn; the consumer reads the turn with an acquire load. This is Vyukov's bounded queue with the
/// sequence split into lap and index. Laps wrap after 2^32 (at least 2^32 * capacity events).
/// </remarks>
internal sealed class IngressShard
{
    private readonly Slot[] _slots;
    private readonly int _capacity;
    private PaddedLong _tail;  // producers CAS it
    private PaddedLong _head;  // written by the single consumer only, read by counters
    private PaddedLong _dropped;

    public IngressShard(int capacity)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "A shard needs at least one slot.");
        _capacity = capacity;
        _slots = new Slot[capacity];
    }

    /// <summary>Number of slots.</summary>
    public int Capacity => _capacity;

    /// <summary>Events ever written (monotonic).</summary>
    public long Accepted => Linear(Volatile.Read(ref _tail.Value));

    /// <summary>Events ever read by the consumer (monotonic).</summary>
    public long Consumed => Linear(Volatile.Read(ref _head.Value));

    /// <summary>Events dropped because this shard (and every other one tried) was full.</summary>
    public long Dropped => Volatile.Read(ref _dropped.Value);

    /// <summary>Counts one dropped event. Only on the (rare) full path, so one atomic is fine.</summary>
    public void CountDrop() => Interlocked.Increment(ref _dropped.Value);

    /// <summary>Claims a slot and writes <paramref name="record"/>; false when the shard is full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWrite(in IngressRecord record)
    {
        ref var slot = ref TryClaim();
        if (Unsafe.IsNullRef(ref slot)) return false;
        slot.Record = record;
        Publish(ref slot);
        return true;
    }

    /// <summary>
    /// Claims the next slot for the caller to fill in place, or returns a null reference when the shard
    /// is full. The claimed <see cref="Slot.Record"/> is all default (the consumer clears every slot it
    /// reads, and a new ring is zeroed), so the caller sets only the fields that differ from default, then
    /// must call <see cref="Publish"/> without anything in between that can throw: until then the
    /// consumer waits at this slot.
    /// </summary>
    /// <remarks>
    /// Filling the slot in place, rather than copying a record built on the caller's stack, saves the
    /// zeroing of that copy and a bulk write barrier over the whole struct: only the references actually
    /// set pay a barrier.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref Slot TryClaim()
    {
        var slots = _slots;
        while (true)
        {
            var tail = Volatile.Read(ref _tail.Value);
            var lap = (ulong)tail >> 32;
            var index = (int)(uint)tail;
            ref var slot = ref slots[index];
            var turn = Volatile.Read(ref slot.Turn);
            var free = lap << 1;
            if (turn == free)
            {
                var next = index + 1 == _capacity ? (long)((lap + 1) << 32) : tail + 1;
                if (Interlocked.CompareExchange(ref _tail.Value, next, tail) == tail) return ref slot;
            }
            else if (turn + 1 == free)
            {
                // The slot still holds the previous lap's event: the consumer is a full ring behind.
                return ref Unsafe.NullRef<Slot>();
            }
            // Otherwise another producer moved the tail since we read it: try again.
        }
    }

    /// <summary>Hands a slot filled after <see cref="TryClaim"/> to the consumer (a release store of its turn).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Publish(ref Slot slot) => Volatile.Write(ref slot.Turn, slot.Turn + 1);

    /// <summary>
    /// Consumer only. Reads the next event if it has been published. Returns false when the ring is
    /// empty or the next slot is claimed but its producer has not finished writing.
    /// </summary>
    public bool TryRead(out IngressRecord record)
    {
        var head = _head.Value;
        var lap = (ulong)head >> 32;
        var index = (int)(uint)head;
        ref var slot = ref _slots[index];
        if (Volatile.Read(ref slot.Turn) != (lap << 1) + 1)
        {
            record = default;
            return false;
        }

        record = slot.Record;
        slot.Record = default; // let the GC have the strings as soon as they are folded
        Volatile.Write(ref slot.Turn, (lap + 1) << 1);
        Volatile.Write(ref _head.Value, index + 1 == _capacity ? (long)((lap + 1) << 32) : head + 1);
        return true;
    }

    /// <summary>Consumer only: the tail position now, as a linear count, to drain up to.</summary>
    public long TailSnapshot() => Linear(Volatile.Read(ref _tail.Value));

    private long Linear(long packed) => (long)((ulong)packed >> 32) * _capacity + (uint)packed;

    /// <summary>One ring entry: its turn number and the event.</summary>
    internal struct Slot
    {
        public ulong Turn;
        public IngressRecord Record;
    }

    /// <summary>A long alone on its cache line so producers and the consumer do not false-share.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct PaddedLong
    {
        [FieldOffset(64)] public long Value;
    }
}
