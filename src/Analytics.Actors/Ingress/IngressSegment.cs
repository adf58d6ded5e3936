using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Analytics.Actors.Ingress;

/// <summary>
/// A bounded single-producer, single-consumer ring: the ingress of one producer thread, which holds it through a lease
/// (see <see cref="IngressBuffer"/>). Writing is plain stores into the slot and a release store of the tail: no locked
/// instruction, so a producer never waits for the stores of its previous event to reach another core.
/// </summary>
/// <remarks>
/// <para>Why this and not a multi-producer ring: there, claiming a slot is a compare-and-swap, a full fence that waits
/// until the previous event's stores are visible, and those stores go to cache lines the consumer has just read on the
/// other core, so every event paid a core-to-core round trip (issue 13 measured 200 ns an event with a drainer running
/// against 20 ns into warm slots).</para>
/// <para>The consumer reads each record in place and never writes a slot, so the slot's lines travel to it and back
/// only as the producer's stores need them; it publishes its head every <see cref="HeadBatch"/> events rather than per
/// event. Slots are not cleared after reading: the producer overwrites every field of the next event (see
/// <see cref="SlotWriter"/>), and the references a slot still holds are bounded by the capacity.</para>
/// <para>Positions are linear counts; each side keeps its own slot index beside its position, so advancing is an add
/// or a reset, never a modulo, and the capacity needs no rounding.</para>
/// </remarks>
internal sealed class IngressSegment
{
    /// <summary>Events the consumer folds before it publishes its head, so the producer's line is not written per event.</summary>
    public const int HeadBatch = 64;

    private readonly IngressRecord[] _slots;
    private readonly int _capacity;
    private ProducerSide _producer;
    private ConsumerSide _consumer;
    private Thread? _holder;
    private long _wakeMark;

    public IngressSegment(int capacity)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "A segment needs at least one slot.");
        _capacity = capacity;
        _slots = new IngressRecord[capacity];
        _wakeMark = capacity;
    }

    /// <summary>Number of slots.</summary>
    public int Capacity => _capacity;

    /// <summary>Events ever written (monotonic).</summary>
    public long Accepted => Volatile.Read(ref _producer.Tail);

    /// <summary>Events ever read by the consumer (monotonic).</summary>
    public long Consumed => Volatile.Read(ref _consumer.Head);

    /// <summary>True while a live producer thread holds this segment.</summary>
    public bool IsLeased => Volatile.Read(ref _holder) is { IsAlive: true };

    /// <summary>
    /// Takes the segment for the calling thread: when no thread holds it, or when its holder has died (a dead thread
    /// writes nothing more, and its last writes are visible once it has ended). False when a live thread holds it.
    /// </summary>
    public bool TryLease()
    {
        var holder = Volatile.Read(ref _holder);
        if (holder is { IsAlive: true }) return false;
        return Interlocked.CompareExchange(ref _holder, Thread.CurrentThread, holder) == holder;
    }

    /// <summary>Gives the segment up if the calling thread holds it; events in it stay readable.</summary>
    public void Release() => Interlocked.CompareExchange(ref _holder, null, Thread.CurrentThread);

    /// <summary>Gives the segment up on behalf of a holder that can no longer do it (its lease was finalized).</summary>
    public void ReleaseFrom(Thread holder) => Interlocked.CompareExchange(ref _holder, null, holder);

    /// <summary>
    /// Sets the fill (in events) from which <see cref="Publish"/> tells the producer to check whether the pump must be
    /// woken: <paramref name="percent"/> of the capacity, at least one event.
    /// </summary>
    public void SetWakeMark(int percent) => Volatile.Write(ref _wakeMark, Math.Max(1, (long)_capacity * percent / 100));

    /// <summary>
    /// Lease holder only. The slot to fill for the next event, or a null reference when the segment is full. Every field
    /// of the record must be written (the slot still holds an earlier event), then <see cref="Publish"/> called.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref IngressRecord TryClaim()
    {
        if (_producer.Tail - _producer.CachedHead >= _capacity && !RefreshHead()) return ref Unsafe.NullRef<IngressRecord>();
        return ref _slots[_producer.Index];
    }

    /// <summary>
    /// Lease holder only. Hands the slot filled after <see cref="TryClaim"/> to the consumer. Returns true when the fill,
    /// as this producer last saw the consumer's head, has reached the wake mark: the caller then checks
    /// <see cref="RefreshFill"/> if the pump sleeps.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Publish()
    {
        var next = _producer.Index + 1;
        _producer.Index = next == _capacity ? 0 : next;
        var tail = _producer.Tail + 1;
        Volatile.Write(ref _producer.Tail, tail);
        return tail - _producer.CachedHead >= _wakeMark;
    }

    /// <summary>
    /// Lease holder only: the real fill (the consumer's head read again, which also resets what <see cref="Publish"/>
    /// compares) is at or past the wake mark.
    /// </summary>
    public bool RefreshFill()
    {
        RefreshHead();
        return _producer.Tail - _producer.CachedHead >= Volatile.Read(ref _wakeMark);
    }

    /// <summary>Any thread: the events waiting here reach the wake mark (reads both sides' published positions).</summary>
    public bool IsFilling() => Accepted - Consumed >= Volatile.Read(ref _wakeMark);

    /// <summary>Consumer only: the tail now, to drain up to.</summary>
    public long TailSnapshot() => Volatile.Read(ref _producer.Tail);

    /// <summary>
    /// Consumer only. Hands every event published before <paramref name="upTo"/> (a tail seen earlier), at most
    /// <paramref name="max"/>, to <paramref name="sink"/> in order; returns how many.
    /// </summary>
    public int Drain<TSink>(ref TSink sink, long upTo, int max) where TSink : struct, IIngressSink
    {
        var head = _consumer.Head;
        var count = (int)Math.Min(upTo - head, max);
        if (count <= 0) return 0;
        var slots = _slots;
        var index = _consumer.Index;
        for (var done = 0; done < count;)
        {
            sink.Fold(in slots[index]);
            index = index + 1 == _capacity ? 0 : index + 1;
            // Published in steps so a producer that waits on a full segment gets room before the whole run is folded.
            if (++done % HeadBatch == 0) Volatile.Write(ref _consumer.Head, head + done);
        }
        _consumer.Index = index;
        Volatile.Write(ref _consumer.Head, head + count);
        return count;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool RefreshHead()
    {
        _producer.CachedHead = Volatile.Read(ref _consumer.Head);
        return _producer.Tail - _producer.CachedHead < _capacity;
    }

    /// <summary>What the producer writes, alone on its cache lines.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct ProducerSide
    {
        [FieldOffset(64)] public long Tail;
        [FieldOffset(72)] public long CachedHead;
        [FieldOffset(80)] public int Index;
    }

    /// <summary>What the consumer writes, alone on its cache lines.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct ConsumerSide
    {
        [FieldOffset(64)] public long Head;
        [FieldOffset(72)] public int Index;
    }
}

/// <summary>The consumer's fold of one drained record, a struct so the drain loop is specialised and the call inlined.</summary>
internal interface IIngressSink
{
    /// <summary>Folds one record; it is only valid during the call (the slot is reused afterwards).</summary>
    void Fold(in IngressRecord record);
}
