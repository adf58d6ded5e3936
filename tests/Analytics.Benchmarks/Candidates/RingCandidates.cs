using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Analytics.Actors.Ingress;

namespace Analytics.Benchmarks.Candidates;

/// <summary>A ring under test: one producer writes, one consumer reads and sums what a fold would read.</summary>
internal interface IRingCandidate
{
    /// <summary>Producer: writes one completed request; false when full.</summary>
    bool TryWrite(string model, string? agent, long input, long output, long durationMs);

    /// <summary>Consumer: reads everything published; returns how many events it read.</summary>
    int Drain(ref long checksum);
}

/// <summary>A: the ring before issue 13 (Vyukov MPSC, 152-byte slot with its turn, the consumer copies and clears the slot).</summary>
internal sealed class CurrentShard(int capacity) : IRingCandidate
{
    private readonly PreviousMpscShard _shard = new(capacity);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWrite(string model, string? agent, long input, long output, long durationMs)
    {
        ref var slot = ref _shard.TryClaim();
        if (Unsafe.IsNullRef(ref slot)) return false;
        ref var r = ref slot.Record;
        r.Kind = Analytics.Contracts.AnalyticsEventKind.LlmRequestCompleted;
        r.Model = model;
        if (agent is not null) r.AgentId = agent;
        r.InputTokens = input;
        r.OutputTokens = output;
        r.CostMicros = IngressRecord.Absent;
        r.DurationMs = durationMs;
        r.TimeToFirstTokenMs = IngressRecord.Absent;
        PreviousMpscShard.Publish(ref slot);
        return true;
    }

    public int Drain(ref long checksum)
    {
        var n = 0;
        while (_shard.TryRead(out var r))
        {
            checksum += r.InputTokens + r.OutputTokens + r.Model!.Length + (r.AgentId?.Length ?? 0);
            n++;
        }
        return n;
    }
}

/// <summary>
/// A2: Vyukov MPSC with the turn in the slot (as A) but a consumer that reads the record in place and does not clear it,
/// and a producer that writes every field.
/// </summary>
internal sealed class MpscTurnInSlotNoClear(int capacity) : IRingCandidate
{
    private readonly Slot[] _slots = new Slot[capacity];
    private PaddedValue _tail;
    private PaddedValue _head;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWrite(string model, string? agent, long input, long output, long durationMs)
    {
        while (true)
        {
            var tail = Volatile.Read(ref _tail.Value);
            var lap = (long)((ulong)tail >> 32);
            var index = (int)(uint)tail;
            ref var slot = ref _slots[index];
            var turn = Volatile.Read(ref slot.Turn);
            if (turn == lap << 1)
            {
                var next = index + 1 == capacity ? (lap + 1) << 32 : tail + 1;
                if (Interlocked.CompareExchange(ref _tail.Value, next, tail) != tail) continue;
                MpscSeparateTurns.Fill(ref slot.Record, model, agent, input, output, durationMs);
                Volatile.Write(ref slot.Turn, turn + 1);
                return true;
            }
            if (turn + 1 == lap << 1) return false;
        }
    }

    public int Drain(ref long checksum)
    {
        var n = 0;
        while (true)
        {
            var head = _head.Value;
            var lap = (long)((ulong)head >> 32);
            var index = (int)(uint)head;
            ref var slot = ref _slots[index];
            if (Volatile.Read(ref slot.Turn) != (lap << 1) + 1) return n;
            checksum += slot.Record.InputTokens + slot.Record.OutputTokens + slot.Record.Model!.Length + (slot.Record.AgentId?.Length ?? 0);
            Volatile.Write(ref slot.Turn, (lap + 1) << 1);
            _head.Value = index + 1 == capacity ? (lap + 1) << 32 : head + 1;
            n++;
        }
    }

    private struct Slot
    {
        public long Turn;
        public IngressRecord Record;
    }
}

/// <summary>
/// B: Vyukov MPSC with the turns in their own array (8 to a cache line) and a consumer that reads the record in place and
/// never writes its lines; the producer writes every field, since a slot is no longer cleared.
/// </summary>
internal sealed class MpscSeparateTurns(int capacity) : IRingCandidate
{
    private readonly IngressRecord[] _data = new IngressRecord[capacity];
    private readonly long[] _turns = new long[capacity];
    private Padded _tail;
    private Padded _head;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWrite(string model, string? agent, long input, long output, long durationMs)
    {
        while (true)
        {
            var tail = Volatile.Read(ref _tail.Value);
            var lap = (long)((ulong)tail >> 32);
            var index = (int)(uint)tail;
            var turn = Volatile.Read(ref _turns[index]);
            if (turn == lap << 1)
            {
                var next = index + 1 == capacity ? (lap + 1) << 32 : tail + 1;
                if (Interlocked.CompareExchange(ref _tail.Value, next, tail) != tail) continue;
                ref var r = ref _data[index];
                Fill(ref r, model, agent, input, output, durationMs);
                Volatile.Write(ref _turns[index], turn + 1);
                return true;
            }
            if (turn + 1 == lap << 1) return false;
        }
    }

    public int Drain(ref long checksum)
    {
        var n = 0;
        while (true)
        {
            var head = _head.Value;
            var lap = (long)((ulong)head >> 32);
            var index = (int)(uint)head;
            if (Volatile.Read(ref _turns[index]) != (lap << 1) + 1) return n;
            ref readonly var r = ref _data[index];
            checksum += r.InputTokens + r.OutputTokens + r.Model!.Length + (r.AgentId?.Length ?? 0);
            Volatile.Write(ref _turns[index], (lap + 1) << 1);
            _head.Value = index + 1 == capacity ? (lap + 1) << 32 : head + 1;
            n++;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Fill(ref IngressRecord r, string model, string? agent, long input, long output, long durationMs)
    {
        r.Kind = Analytics.Contracts.AnalyticsEventKind.LlmRequestCompleted;
        r.Model = model;
        r.Provider = null;
        r.ProviderId = null;
        r.AgentId = agent;
        r.ErrorCode = null;
        r.ErrorMessage = null;
        r.EventId = null;
        r.Prebuilt = null;
        r.InputTokens = input;
        r.OutputTokens = output;
        r.CacheReadTokens = 0;
        r.CacheCreationTokens = 0;
        r.ReasoningTokens = 0;
        r.CostMicros = IngressRecord.Absent;
        r.TimestampMs = 0;
        r.DurationMs = durationMs;
        r.TimeToFirstTokenMs = IngressRecord.Absent;
    }

    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct Padded
    {
        [FieldOffset(64)] public long Value;
    }
}

/// <summary>
/// C/D: a single-producer segment: plain stores and a release store of the tail, no locked instruction; the consumer
/// reads in place, never writes a slot, and publishes its head every <c>headEvery</c> reads (1 = each read).
/// </summary>
internal sealed class SpscSegment<TRecord, TPolicy>(int capacity, int headEvery) : IRingCandidate
    where TRecord : struct
    where TPolicy : IRecordPolicy<TRecord>
{
    private readonly TRecord[] _data = new TRecord[capacity];
    private ProducerSide _p;
    private ConsumerSide _c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWrite(string model, string? agent, long input, long output, long durationMs)
    {
        var tail = _p.Tail;
        if (tail - _p.CachedHead >= capacity)
        {
            _p.CachedHead = Volatile.Read(ref _c.Head);
            if (tail - _p.CachedHead >= capacity) return false;
        }
        var index = _p.Index;
        TPolicy.Fill(ref _data[index], model, agent, input, output, durationMs);
        _p.Index = index + 1 == capacity ? 0 : index + 1;
        Volatile.Write(ref _p.Tail, tail + 1);
        return true;
    }

    public int Drain(ref long checksum)
    {
        var tail = Volatile.Read(ref _p.Tail);
        var head = _c.Head;
        var n = 0;
        var index = _c.Index;
        while (head + n < tail)
        {
            checksum += TPolicy.Read(in _data[index]);
            index = index + 1 == capacity ? 0 : index + 1;
            n++;
            if (n % headEvery == 0) Volatile.Write(ref _c.Head, head + n);
        }
        _c.Index = index;
        Volatile.Write(ref _c.Head, head + n);
        return n;
    }
}

[StructLayout(LayoutKind.Explicit, Size = 192)]
internal struct ProducerSide
{
    [FieldOffset(64)] public long Tail;
    [FieldOffset(72)] public long CachedHead;
    [FieldOffset(80)] public int Index;
}

[StructLayout(LayoutKind.Explicit, Size = 192)]
internal struct ConsumerSide
{
    [FieldOffset(64)] public long Head;
    [FieldOffset(72)] public int Index;
}

[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct PaddedValue
{
    [FieldOffset(64)] public long Value;
}

/// <summary>E's record: what one completed request needs in one 64-byte line (rare fields would sit behind <see cref="Rare"/>).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NarrowRecord
{
    public string? Model;
    public string? Provider;
    public string? AgentId;
    public object? Rare;
    public int InputTokens;
    public int OutputTokens;
    public int CacheReadTokens;
    public int CacheCreationTokens;
    public int ReasoningTokens;
    public int DurationMs;
    public int TimeToFirstTokenMs;
    public int Kind;
}

internal interface IRecordPolicy<TRecord>
{
    static abstract void Fill(ref TRecord r, string model, string? agent, long input, long output, long durationMs);

    static abstract long Read(in TRecord r);
}

internal struct FullRecordPolicy : IRecordPolicy<IngressRecord>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Fill(ref IngressRecord r, string model, string? agent, long input, long output, long durationMs)
        => MpscSeparateTurns.Fill(ref r, model, agent, input, output, durationMs);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Read(in IngressRecord r) => r.InputTokens + r.OutputTokens + r.Model!.Length + (r.AgentId?.Length ?? 0);
}

internal struct NarrowRecordPolicy : IRecordPolicy<NarrowRecord>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Fill(ref NarrowRecord r, string model, string? agent, long input, long output, long durationMs)
    {
        r.Model = model;
        r.Provider = null;
        r.AgentId = agent;
        r.Rare = null;
        r.InputTokens = (int)input;
        r.OutputTokens = (int)output;
        r.CacheReadTokens = 0;
        r.CacheCreationTokens = 0;
        r.ReasoningTokens = 0;
        r.DurationMs = (int)durationMs;
        r.TimeToFirstTokenMs = -1;
        r.Kind = 1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Read(in NarrowRecord r) => r.InputTokens + r.OutputTokens + r.Model!.Length + (r.AgentId?.Length ?? 0);
}

/// <summary>The shard as it was before issue 13 (commit 80e8c5d), kept here as the A/B baseline.</summary>
internal sealed class PreviousMpscShard
{
    private readonly Slot[] _slots;
    private readonly int _capacity;
    private PaddedLong _tail;  // producers CAS it
    private PaddedLong _head;  // written by the single consumer only, read by counters
    private PaddedLong _dropped;

    public PreviousMpscShard(int capacity)
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
