using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Analytics.Actors.Ingress;

/// <summary>
/// A bounded multi-producer, single-consumer ring of <see cref="IngressRecord"/> with an exact capacity (no power-of-two
/// rounding) and no division on the write path: one shard of <see cref="IngressBuffer"/>.
/// </summary>
/// <remarks>
/// <para>Positions are packed as <c>lap &lt;&lt; 32 | index</c>, so moving to the next slot is an add or a reset instead of
/// a modulo. Each slot has a turn number: <c>2 * lap</c> means free for the producer of that lap, <c>2 * lap + 1</c>
/// means written and waiting for the consumer. A producer claims a slot with one CAS on the tail, writes it, then
/// publishes it with a release store of the turn; the consumer reads the turn with an acquire load. This is Vyukov's
/// bounded queue with the sequence split into lap and index. Laps wrap after 2^32 (at least 2^32 * capacity events).</para>
/// <para>The turns live in their own array (eight to a cache line) and the consumer reads records in place without
/// clearing them, so the only lines it writes are turns, never a record's: the next producer's stores into a slot do
/// not have to take its lines back from the consumer's core (the ring before issue 13 copied each record out and
/// cleared it, so every slot's two or three lines went to the consumer's core and back). The producer therefore writes
/// every field of a record (see <see cref="SlotWriter"/>); the references a slot still holds are bounded by the
/// capacity.</para>
/// </remarks>
internal sealed class IngressShard
{
    private readonly IngressRecord[] _slots;
    private readonly ulong[] _turns;
    private readonly int _capacity;
    private PaddedLong _tail;  // producers CAS it
    private PaddedLong _head;  // written by the single consumer only, read by counters
    private PaddedLong _dropped;
    private long _wakeMark;

    public IngressShard(int capacity)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "A shard needs at least one slot.");
        _capacity = capacity;
        _slots = new IngressRecord[capacity];
        _turns = new ulong[capacity];
        _wakeMark = capacity;
    }

    /// <summary>Number of slots.</summary>
    public int Capacity => _capacity;

    /// <summary>Events ever written (monotonic).</summary>
    public long Accepted => Linear(Volatile.Read(ref _tail.Value));

    /// <summary>Events ever read by the consumer (monotonic).</summary>
    public long Consumed => Linear(Volatile.Read(ref _head.Value));

    /// <summary>Events dropped because this shard (and every other one tried) was full, counted on the writer's home shard.</summary>
    public long Dropped => Volatile.Read(ref _dropped.Value);

    /// <summary>Counts one dropped event. Only on the (rare) full path, so one atomic is fine.</summary>
    public void CountDrop() => Interlocked.Increment(ref _dropped.Value);

    /// <summary>Sets the fill at which <see cref="IsFilling"/> says the pump should be woken: a percentage of the capacity.</summary>
    public void SetWakeMark(int percent) => Volatile.Write(ref _wakeMark, Math.Max(1, (long)_capacity * percent / 100));

    /// <summary>True when the events waiting here reach the wake mark (reads the tail and the head: for when the pump sleeps).</summary>
    public bool IsFilling() => Accepted - Consumed >= Volatile.Read(ref _wakeMark);

    /// <summary>
    /// Claims the next slot, or returns -1 when the shard is full. The caller fills every field of
    /// <see cref="Slot"/>(index) (it still holds an earlier event), then must call <see cref="Publish"/> without anything in
    /// between that can throw: until then the consumer waits at this slot.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int TryClaim()
    {
        var turns = _turns;
        while (true)
        {
            var tail = Volatile.Read(ref _tail.Value);
            var lap = (ulong)tail >> 32;
            var index = (int)(uint)tail;
            var turn = Volatile.Read(ref turns[index]);
            var free = lap << 1;
            if (turn == free)
            {
                var next = index + 1 == _capacity ? (long)((lap + 1) << 32) : tail + 1;
                if (Interlocked.CompareExchange(ref _tail.Value, next, tail) == tail) return index;
            }
            else if (turn + 1 == free)
            {
                // The slot still holds the previous lap's event: the consumer is a full ring behind.
                return -1;
            }
            // Otherwise another producer moved the tail since we read it: try again.
        }
    }

    /// <summary>The record of a claimed slot, to fill in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref IngressRecord Slot(int index) => ref _slots[index];

    /// <summary>Hands a slot filled after <see cref="TryClaim"/> to the consumer (a release store of its turn).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Publish(int index)
    {
        ref var turn = ref _turns[index];
        Volatile.Write(ref turn, turn + 1);
    }

    /// <summary>Claims, copies <paramref name="record"/> in and publishes; false when full. For the rare whole-record events.</summary>
    public bool TryWrite(in IngressRecord record)
    {
        var index = TryClaim();
        if (index < 0) return false;
        _slots[index] = record;
        Publish(index);
        return true;
    }

    /// <summary>Consumer only: the tail position now, as a linear count, to drain up to.</summary>
    public long TailSnapshot() => Linear(Volatile.Read(ref _tail.Value));

    /// <summary>
    /// Consumer only. Hands published events to <paramref name="sink"/> in order, at most <paramref name="max"/>, up to
    /// the linear position <paramref name="upTo"/>. With <paramref name="wait"/> it waits out slots claimed before
    /// <paramref name="upTo"/> but not yet published (read-your-writes); without, it stops at the first such slot.
    /// </summary>
    public int Drain<TSink>(ref TSink sink, long upTo, int max, bool wait) where TSink : struct, IIngressSink
    {
        var drained = 0;
        var spin = new SpinWait();
        var slots = _slots;
        var turns = _turns;
        while (drained < max && Linear(_head.Value) < upTo)
        {
            var head = _head.Value;
            var lap = (ulong)head >> 32;
            var index = (int)(uint)head;
            if (Volatile.Read(ref turns[index]) != (lap << 1) + 1)
            {
                if (!wait) break;
                spin.SpinOnce();
                continue;
            }
            sink.Fold(in slots[index]);
            Volatile.Write(ref turns[index], (lap + 1) << 1);
            Volatile.Write(ref _head.Value, index + 1 == _capacity ? (long)((lap + 1) << 32) : head + 1);
            drained++;
        }
        return drained;
    }

    private long Linear(long packed) => (long)((ulong)packed >> 32) * _capacity + (uint)packed;

    /// <summary>A long alone on its cache line so producers and the consumer do not false-share.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct PaddedLong
    {
        [FieldOffset(64)] public long Value;
    }
}
