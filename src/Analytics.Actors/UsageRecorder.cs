using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Analytics.Actors.Ingress;
using Analytics.Contracts;

namespace Analytics.Actors;

/// <summary>
/// The hot path: records LLM usage and lifecycle events into a lock-free bounded ring. No call here
/// takes a lock, awaits, allocates (for the LLM methods), or sends an actor message per event; at most
/// it wakes an idle pump once. Pricing, provider inference, ids and timestamps happen in the pump.
/// </summary>
/// <remarks>
/// <para><c>Record*</c> methods return false and count the event in <see cref="DroppedCount"/> when the
/// ring is full, and return false and count it in <see cref="RejectedCount"/> when the input is invalid
/// (empty model, negative or inconsistent token counts); they never throw for either.</para>
/// <para><c>TryRecord*</c> methods are for producers that can wait (batch import, replay): they return
/// false when the ring is full without counting a drop, and throw <see cref="ArgumentException"/> for
/// invalid input, because "full" must be retried and "invalid" must not.</para>
/// </remarks>
public sealed class UsageRecorder
{
    private readonly IngressBuffer _buffer;
    private EventTap[] _taps = [];
    private Action? _wake;
    private int _pumpIdle = 1;
    private long _rejected;
    private string? _lastRejection;
    private FoldedSnapshot _folded = FoldedSnapshot.Empty;

    /// <summary>Creates a recorder with its own ring.</summary>
    /// <param name="capacity">Total ring slots (the reference crate's default is 10,000).</param>
    /// <param name="shards">Ring shards; 0 picks one per core (at most 8).</param>
    public UsageRecorder(int capacity = 10_000, int shards = 0)
    {
        _buffer = new IngressBuffer(capacity, shards);
    }

    internal IngressBuffer Buffer => _buffer;

    /// <summary>Total ring slots.</summary>
    public int Capacity => _buffer.Capacity;

    /// <summary>Events accepted into the ring so far. O(1) in the shard count, no actor involved.</summary>
    public long AcceptedCount => _buffer.Accepted;

    /// <summary>Events dropped because the ring was full.</summary>
    public long DroppedCount => _buffer.Dropped;

    /// <summary>Record calls refused for invalid input.</summary>
    public long RejectedCount => Volatile.Read(ref _rejected);

    /// <summary>Why the latest rejected call was refused, or null.</summary>
    public string? LastRejection => Volatile.Read(ref _lastRejection);

    /// <summary>Events in the ring not yet drained by the pump (the crate's <c>len()</c>).</summary>
    public long PendingCount => _buffer.Pending;

    /// <summary>True when nothing waits in the ring.</summary>
    public bool IsEmpty => PendingCount == 0;

    /// <summary>
    /// Totals of everything the pump has folded so far, published after each drained batch: an O(1)
    /// read with no actor. It lags <see cref="AcceptedCount"/> by <see cref="PendingCount"/>; for
    /// read-your-writes use a stats Ask instead.
    /// </summary>
    public UsageRow FoldedTotals => Volatile.Read(ref _folded).Totals;

    /// <summary>Events the pump has drained and folded so far.</summary>
    public long FoldedCount => Volatile.Read(ref _folded).Count;

    // ---------------------------------------------------------------- completed

    /// <summary>Records a completed request priced from the catalog, provider inferred from the model.</summary>
    /// <param name="model">Model name, for example <c>gpt-4o</c>.</param>
    /// <param name="inputTokens">Prompt tokens.</param>
    /// <param name="outputTokens">Completion tokens.</param>
    /// <param name="agentId">Agent to attribute the request to.</param>
    /// <param name="providerId">Provider key identifier.</param>
    /// <returns>True when accepted; false when dropped (ring full) or rejected (invalid input).</returns>
    public bool RecordCompleted(string model, long inputTokens, long outputTokens, string? agentId = null, string? providerId = null)
        => RecordCompleted(model, new TokenUsage(inputTokens, outputTokens), agentId, providerId);

    /// <summary>Records a completed request with its full token breakdown.</summary>
    /// <param name="model">Model name.</param>
    /// <param name="usage">Token counts (cache counts inside input, reasoning inside output).</param>
    /// <param name="agentId">Agent to attribute the request to.</param>
    /// <param name="providerId">Provider key identifier.</param>
    /// <param name="provider">Provider; null infers it from the model and the catalog.</param>
    /// <param name="costMicros">Cost in microdollars; null prices it from the catalog. A supplied cost wins.</param>
    /// <param name="durationMs">Request wall time.</param>
    /// <param name="timeToFirstTokenMs">Time to the first streamed token.</param>
    /// <returns>True when accepted; false when dropped or rejected.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool RecordCompleted(string model, in TokenUsage usage, string? agentId = null, string? providerId = null,
        string? provider = null, long? costMicros = null, long? durationMs = null, long? timeToFirstTokenMs = null)
    {
        var problem = CheckCompleted(model, usage, costMicros, durationMs, timeToFirstTokenMs);
        if (problem is not null) return Reject(problem);
        ref var slot = ref _buffer.TryClaim();
        if (Unsafe.IsNullRef(ref slot)) return Drop();
        FillCompleted(ref slot.Record, model, usage, agentId, providerId, provider, costMicros, durationMs, timeToFirstTokenMs, null, 0);
        IngressShard.Publish(ref slot);
        WakeIfIdle();
        return true;
    }

    /// <summary>Records a completed request with an explicit provider (no inference).</summary>
    /// <param name="provider">Provider name; normalised to lowercase by the pump.</param>
    /// <param name="model">Model name.</param>
    /// <param name="usage">Token counts.</param>
    /// <param name="agentId">Agent to attribute the request to.</param>
    /// <param name="providerId">Provider key identifier.</param>
    /// <returns>True when accepted.</returns>
    public bool RecordCompletedWithProvider(string provider, string model, in TokenUsage usage, string? agentId = null, string? providerId = null)
        => RecordCompleted(model, usage, agentId, providerId, provider);

    /// <summary>Records a completed request whose cost the caller already knows (it wins over the catalog).</summary>
    /// <param name="model">Model name.</param>
    /// <param name="usage">Token counts.</param>
    /// <param name="costMicros">Cost in microdollars, >= 0.</param>
    /// <param name="agentId">Agent to attribute the request to.</param>
    /// <param name="providerId">Provider key identifier.</param>
    /// <param name="provider">Provider; null infers it.</param>
    /// <returns>True when accepted.</returns>
    public bool RecordCompletedWithCost(string model, in TokenUsage usage, long costMicros, string? agentId = null, string? providerId = null, string? provider = null)
        => RecordCompleted(model, usage, agentId, providerId, provider, costMicros);

    /// <summary>
    /// Like <see cref="RecordCompleted(string, in TokenUsage, string?, string?, string?, long?, long?, long?)"/> but
    /// returns false when the ring is full without counting a drop, so the caller can wait and retry.
    /// </summary>
    /// <param name="model">Model name.</param>
    /// <param name="usage">Token counts.</param>
    /// <param name="agentId">Agent.</param>
    /// <param name="providerId">Provider key identifier.</param>
    /// <param name="provider">Provider; null infers it.</param>
    /// <param name="costMicros">Cost; null prices it.</param>
    /// <param name="durationMs">Request wall time.</param>
    /// <param name="timeToFirstTokenMs">Time to first token.</param>
    /// <param name="eventId">An id to keep (for example from a replayed log); null assigns one.</param>
    /// <param name="timestampMs">Unix ms of the event; 0 stamps it when drained.</param>
    /// <returns>True when accepted, false when the ring is full.</returns>
    /// <exception cref="ArgumentException">The input is invalid; the message names the field.</exception>
    public bool TryRecordCompleted(string model, in TokenUsage usage, string? agentId = null, string? providerId = null,
        string? provider = null, long? costMicros = null, long? durationMs = null, long? timeToFirstTokenMs = null,
        string? eventId = null, long timestampMs = 0)
    {
        var problem = CheckCompleted(model, usage, costMicros, durationMs, timeToFirstTokenMs) ?? CheckIdentity(eventId, timestampMs);
        if (problem is not null) throw new ArgumentException(problem);
        ref var slot = ref _buffer.TryClaim();
        if (!Unsafe.IsNullRef(ref slot))
        {
            FillCompleted(ref slot.Record, model, usage, agentId, providerId, provider, costMicros, durationMs, timeToFirstTokenMs, eventId, timestampMs);
            IngressShard.Publish(ref slot);
        }
        // Also when full: a waiting producer must make sure the pump is running, or it would wait forever.
        WakeIfIdle();
        return !Unsafe.IsNullRef(ref slot);
    }

    // ---------------------------------------------------------------- failed

    /// <summary>Records a failed request; it counts as a request of its model, provider and agent.</summary>
    /// <param name="model">Model name.</param>
    /// <param name="agentId">Agent.</param>
    /// <param name="providerId">Provider key identifier.</param>
    /// <param name="errorCode">Machine-readable error code.</param>
    /// <param name="errorMessage">Error message.</param>
    /// <param name="provider">Provider; null infers it.</param>
    /// <param name="durationMs">Time until the failure.</param>
    /// <returns>True when accepted; false when dropped or rejected.</returns>
    public bool RecordFailed(string model, string? agentId = null, string? providerId = null, string? errorCode = null,
        string? errorMessage = null, string? provider = null, long? durationMs = null)
    {
        var problem = CheckFailed(model, durationMs);
        if (problem is not null) return Reject(problem);
        ref var slot = ref _buffer.TryClaim();
        if (Unsafe.IsNullRef(ref slot)) return Drop();
        FillFailed(ref slot.Record, model, agentId, providerId, errorCode, errorMessage, provider, durationMs, null, 0);
        IngressShard.Publish(ref slot);
        WakeIfIdle();
        return true;
    }

    /// <summary>Like <see cref="RecordFailed"/> but returns false when full without counting a drop.</summary>
    /// <param name="model">Model name.</param>
    /// <param name="agentId">Agent.</param>
    /// <param name="providerId">Provider key identifier.</param>
    /// <param name="errorCode">Error code.</param>
    /// <param name="errorMessage">Error message.</param>
    /// <param name="provider">Provider; null infers it.</param>
    /// <param name="durationMs">Time until the failure.</param>
    /// <param name="eventId">An id to keep; null assigns one.</param>
    /// <param name="timestampMs">Unix ms; 0 stamps it when drained.</param>
    /// <returns>True when accepted, false when the ring is full.</returns>
    /// <exception cref="ArgumentException">The input is invalid.</exception>
    public bool TryRecordFailed(string model, string? agentId = null, string? providerId = null, string? errorCode = null,
        string? errorMessage = null, string? provider = null, long? durationMs = null, string? eventId = null, long timestampMs = 0)
    {
        var problem = CheckFailed(model, durationMs) ?? CheckIdentity(eventId, timestampMs);
        if (problem is not null) throw new ArgumentException(problem);
        ref var slot = ref _buffer.TryClaim();
        if (!Unsafe.IsNullRef(ref slot))
        {
            FillFailed(ref slot.Record, model, agentId, providerId, errorCode, errorMessage, provider, durationMs, eventId, timestampMs);
            IngressShard.Publish(ref slot);
        }
        WakeIfIdle();
        return !Unsafe.IsNullRef(ref slot);
    }

    // ---------------------------------------------------------------- lifecycle

    /// <summary>Records that a budget crossed a threshold.</summary>
    /// <param name="thresholdPercent">Threshold in percent, 0..1000.</param>
    /// <param name="currentSpendMicros">Spend so far.</param>
    /// <param name="budgetMicros">The budget.</param>
    /// <param name="agentId">Agent whose budget it is.</param>
    /// <returns>True when accepted.</returns>
    public bool RecordBudgetThreshold(int thresholdPercent, long currentSpendMicros, long budgetMicros, string? agentId = null)
        => Record(new BudgetThresholdReached
        {
            ThresholdPercent = thresholdPercent,
            CurrentSpendMicros = currentSpendMicros,
            BudgetMicros = budgetMicros,
            AgentId = agentId,
        });

    /// <summary>Records that the router started on <paramref name="port"/>.</summary>
    /// <param name="port">Listening port.</param>
    /// <returns>True when accepted.</returns>
    public bool RecordRouterStarted(int port) => Record(new RouterStarted { Port = port });

    /// <summary>
    /// Records that the router stopped. The pump fills in the final totals, and they include every
    /// event whose record call returned before this one was made.
    /// </summary>
    /// <returns>True when accepted.</returns>
    public bool RecordRouterStopped()
        => Write(new IngressRecord { Kind = AnalyticsEventKind.RouterStopped, CostMicros = IngressRecord.Absent });

    /// <summary>
    /// Records a pre-built event as it is (its cost and provider are taken as given). An event without an
    /// id or timestamp gets them from the pump.
    /// </summary>
    /// <param name="analyticsEvent">The event.</param>
    /// <returns>True when accepted; false when dropped or rejected.</returns>
    public bool Record(AnalyticsEvent analyticsEvent)
    {
        var problem = CheckPrebuilt(analyticsEvent);
        if (problem is not null) return Reject(problem);
        return Write(FromPrebuilt(analyticsEvent));
    }

    /// <summary>Like <see cref="Record(AnalyticsEvent)"/> but returns false when full without counting a drop.</summary>
    /// <param name="analyticsEvent">The event.</param>
    /// <returns>True when accepted, false when the ring is full.</returns>
    /// <exception cref="ArgumentException">The event is invalid.</exception>
    public bool TryRecord(AnalyticsEvent analyticsEvent)
    {
        var problem = CheckPrebuilt(analyticsEvent);
        if (problem is not null) throw new ArgumentException(problem, nameof(analyticsEvent));
        return TryWrite(FromPrebuilt(analyticsEvent));
    }

    // ---------------------------------------------------------------- streaming

    /// <summary>
    /// Subscribes to a copy of every event from now on (the crate's <c>with_streaming</c>). The channel is
    /// bounded; a slow reader loses copies, counted on the subscription, and never slows the recorder.
    /// </summary>
    /// <param name="capacity">Channel capacity, >= 1.</param>
    /// <param name="llmEventsOnly">Only completed and failed LLM events.</param>
    /// <returns>The subscription; dispose it to stop.</returns>
    public EventSubscription Subscribe(int capacity = 1_000, bool llmEventsOnly = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var channel = Channel.CreateBounded<AnalyticsEvent>(new BoundedChannelOptions(capacity)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait, // with TryWrite this means "refuse", which we count
        });
        var tap = new EventTap(channel.Writer, llmEventsOnly, isSubscription: true);
        AddTap(tap);
        return new EventSubscription(this, tap, channel.Reader);
    }

    internal EventTap[] Taps => Volatile.Read(ref _taps);

    internal void AddTap(EventTap tap)
    {
        EventTap[] current, next;
        do
        {
            current = Volatile.Read(ref _taps);
            next = [.. current, tap];
        } while (Interlocked.CompareExchange(ref _taps, next, current) != current);
    }

    internal void RemoveTap(EventTap tap)
    {
        EventTap[] current, next;
        do
        {
            current = Volatile.Read(ref _taps);
            next = Array.FindAll(current, t => !ReferenceEquals(t, tap));
        } while (Interlocked.CompareExchange(ref _taps, next, current) != current);
    }

    // ---------------------------------------------------------------- pump side

    /// <summary>Connects the pump: <paramref name="wake"/> is called at most once per idle period.</summary>
    internal void AttachPump(Action wake)
    {
        Volatile.Write(ref _wake, wake);
        Volatile.Write(ref _pumpIdle, 1);
        if (PendingCount > 0) WakePump();
    }

    internal void DetachPump() => Volatile.Write(ref _wake, null);

    /// <summary>
    /// Pump only: declare idle so the next write wakes it. Returns true when events arrived meanwhile and
    /// the pump took the wake back itself (so it must keep draining).
    /// </summary>
    internal bool GoIdle()
    {
        // A full fence, not a release store: the flag must be visible before the pending count is read, or a
        // producer that wrote meanwhile (and saw the pump busy) and this read could both miss each other, leaving
        // its event for the safety-net timer (Dekker's store-load case; x86 may reorder a store with a later load).
        Interlocked.Exchange(ref _pumpIdle, 1);
        return PendingCount > 0 && Interlocked.Exchange(ref _pumpIdle, 0) == 1;
    }

    internal void PublishFolded(UsageRow totals, long count) => Volatile.Write(ref _folded, new FoldedSnapshot(totals, count));

    // ---------------------------------------------------------------- internals

    /// <summary>For the rarer events built whole (lifecycle, pre-built); the LLM calls fill their slot in place.</summary>
    private bool Write(in IngressRecord record)
    {
        if (!_buffer.WriteOrDrop(record)) return false;
        WakeIfIdle();
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool Drop()
    {
        _buffer.CountDrop();
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WakeIfIdle()
    {
        if (Volatile.Read(ref _pumpIdle) != 0) WakePump();
    }

    private bool TryWrite(in IngressRecord record)
    {
        var written = _buffer.TryWrite(record);
        // Also when full: a waiting producer must make sure the pump is running, or it would wait forever.
        WakeIfIdle();
        return written;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WakePump()
    {
        if (Interlocked.Exchange(ref _pumpIdle, 0) != 0) Volatile.Read(ref _wake)?.Invoke();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool Reject(string problem)
    {
        Interlocked.Increment(ref _rejected);
        Volatile.Write(ref _lastRejection, problem);
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static string? CheckCompleted(string model, in TokenUsage usage, long? cost, long? duration, long? ttft)
    {
        if (string.IsNullOrEmpty(model)) return "model must be a non-empty string";
        if ((usage.Input | usage.Output | usage.CacheRead | usage.CacheCreation | usage.Reasoning) < 0
            || usage.CacheRead > usage.Input - usage.CacheCreation || usage.Reasoning > usage.Output)
            return usage.Validate();
        if (cost < 0) return $"cost_micros must be >= 0 (got {cost})";
        if (duration < 0) return $"duration_ms must be >= 0 (got {duration})";
        if (ttft < 0) return $"time_to_first_token_ms must be >= 0 (got {ttft})";
        return null;
    }

    private static string? CheckFailed(string model, long? duration)
    {
        if (string.IsNullOrEmpty(model)) return "model must be a non-empty string";
        if (duration < 0) return $"duration_ms must be >= 0 (got {duration})";
        return null;
    }

    private static string? CheckTimestamp(long timestampMs) =>
        timestampMs < 0 ? $"timestamp_ms must be >= 0 (got {timestampMs})" : null;

    /// <summary>Caller-supplied identity: an empty id could never be sent (Protocol 012 requires one).</summary>
    private static string? CheckIdentity(string? eventId, long timestampMs) =>
        eventId is { Length: 0 } ? "event_id must be null (assigned) or a non-empty string" : CheckTimestamp(timestampMs);

    private static string? CheckPrebuilt(AnalyticsEvent? e) => e switch
    {
        null => "event must not be null",
        LlmRequestCompleted c => CheckCompleted(c.Model, new TokenUsage(c.InputTokens, c.OutputTokens, c.CacheReadInputTokens, c.CacheCreationInputTokens, c.ReasoningTokens), c.CostMicros, c.DurationMs, c.TimeToFirstTokenMs)
            ?? (string.IsNullOrEmpty(c.Provider) ? "provider must be a non-empty string" : null)
            ?? CheckIdentity(c.EventId, c.TimestampMs),
        LlmRequestFailed f => CheckFailed(f.Model, f.DurationMs) ?? (string.IsNullOrEmpty(f.Provider) ? "provider must be a non-empty string" : null)
            ?? CheckIdentity(f.EventId, f.TimestampMs),
        _ => CheckIdentity(e.EventId, e.TimestampMs),
    };

    /// <summary>
    /// Fills a completed request into <paramref name="r"/>, which must be all default (a freshly claimed
    /// slot is): references are stored only when set, so a null one costs no write barrier.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FillCompleted(ref IngressRecord r, string model, in TokenUsage usage, string? agentId, string? providerId, string? provider,
        long? cost, long? duration, long? ttft, string? eventId, long timestampMs)
    {
        FillCommon(ref r, AnalyticsEventKind.LlmRequestCompleted, model, agentId, providerId, provider, duration, eventId, timestampMs);
        r.InputTokens = usage.Input;
        r.OutputTokens = usage.Output;
        r.CacheReadTokens = usage.CacheRead;
        r.CacheCreationTokens = usage.CacheCreation;
        r.ReasoningTokens = usage.Reasoning;
        r.CostMicros = cost ?? IngressRecord.Absent;
        r.TimeToFirstTokenMs = ttft ?? IngressRecord.Absent;
    }

    /// <summary>Fills a failed request into <paramref name="r"/>, which must be all default (see <see cref="FillCompleted"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FillFailed(ref IngressRecord r, string model, string? agentId, string? providerId, string? errorCode, string? errorMessage,
        string? provider, long? duration, string? eventId, long timestampMs)
    {
        FillCommon(ref r, AnalyticsEventKind.LlmRequestFailed, model, agentId, providerId, provider, duration, eventId, timestampMs);
        if (errorCode is not null) r.ErrorCode = errorCode;
        if (errorMessage is not null) r.ErrorMessage = errorMessage;
        r.CostMicros = IngressRecord.Absent;
        r.TimeToFirstTokenMs = IngressRecord.Absent;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FillCommon(ref IngressRecord r, AnalyticsEventKind kind, string model, string? agentId, string? providerId, string? provider,
        long? duration, string? eventId, long timestampMs)
    {
        r.Kind = kind;
        r.Model = model;
        if (provider is not null) r.Provider = provider;
        if (providerId is not null) r.ProviderId = providerId;
        if (agentId is not null) r.AgentId = agentId;
        if (eventId is not null) r.EventId = eventId;
        r.DurationMs = duration ?? IngressRecord.Absent;
        r.TimestampMs = timestampMs;
    }

    private static IngressRecord Completed(string model, in TokenUsage usage, string? agentId, string? providerId, string? provider,
        long? cost, long? duration, long? ttft, string? eventId, long timestampMs)
    {
        var r = default(IngressRecord);
        FillCompleted(ref r, model, usage, agentId, providerId, provider, cost, duration, ttft, eventId, timestampMs);
        return r;
    }

    private static IngressRecord Failed(string model, string? agentId, string? providerId, string? errorCode, string? errorMessage,
        string? provider, long? duration, string? eventId, long timestampMs)
    {
        var r = default(IngressRecord);
        FillFailed(ref r, model, agentId, providerId, errorCode, errorMessage, provider, duration, eventId, timestampMs);
        return r;
    }

    private static IngressRecord FromPrebuilt(AnalyticsEvent e) => e switch
    {
        LlmRequestCompleted c => Completed(c.Model, new TokenUsage(c.InputTokens, c.OutputTokens, c.CacheReadInputTokens, c.CacheCreationInputTokens, c.ReasoningTokens),
            c.AgentId, c.ProviderId, c.Provider, c.CostMicros, c.DurationMs, c.TimeToFirstTokenMs, c.EventId, c.TimestampMs) with { Prebuilt = c },
        LlmRequestFailed f => Failed(f.Model, f.AgentId, f.ProviderId, f.ErrorCode, f.ErrorMessage, f.Provider, f.DurationMs, f.EventId, f.TimestampMs),
        _ => new IngressRecord { Kind = e.Kind, Prebuilt = e, AgentId = e.AgentId, EventId = e.EventId, TimestampMs = e.TimestampMs, CostMicros = IngressRecord.Absent },
    };

    private sealed record FoldedSnapshot(UsageRow Totals, long Count)
    {
        public static readonly FoldedSnapshot Empty = new(UsageRow.Empty, 0);
    }
}
