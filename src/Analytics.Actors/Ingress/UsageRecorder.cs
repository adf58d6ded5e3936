using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Analytics.Actors.Ingress;
using Analytics.Actors.Metrics;
using Analytics.Contracts;

namespace Analytics.Actors;

/// <summary>
/// The hot path: records LLM usage and lifecycle events into a lock-free bounded ring. No call here takes a lock,
/// awaits, allocates (for the LLM methods), or sends an actor message per event: the pump polls the ring, and a write
/// wakes it only when the pump sleeps while the writer's shard is filling up. Pricing, provider inference,
/// ids and timestamps happen in the pump, off the caller's thread.
/// </summary>
/// <remarks>
/// <para>Get it from dependency injection after <c>services.AddUsageAnalytics(configuration)</c> and
/// <c>akka.WithUsageAnalytics()</c>; it is created there so that exactly one pump drains it.</para>
/// <para><c>Record*</c> methods return false and count the event in <see cref="DroppedCount"/> when the ring is full,
/// and return false and count it in <see cref="RejectedCount"/> when the input is invalid (empty model, negative or
/// inconsistent token counts, a string over its length limit) or the analytics have stopped; they never throw for any of these.</para>
/// <para><c>TryRecord*</c> methods are for producers that can wait (batch import, replay, HTTP ingest): they return
/// false when the ring is full without counting a drop, and throw <see cref="ArgumentException"/> for invalid input
/// (and <see cref="InvalidOperationException"/> once stopped) without counting a rejection, because "full" must be
/// retried, the others must not, and the caller accounts for what it refused.</para>
/// </remarks>
public sealed class UsageRecorder
{
    /// <summary>A write looks at its shard's fill only at every 16th slot: the wake mark is a soft threshold, and most writes
    /// then pay nothing at all for it.</summary>
    private const int WakeCheckMask = 15;

    private const string StoppedProblem = "stopped: usage analytics has shut down, so nothing would drain the event";

    private readonly IngressBuffer _buffer;
    private readonly PumpSignal _signal;
    private readonly TapRegistry<EventTap> _taps = new();
    private readonly TapRegistry<MeterFeed> _meterFeeds = new();
    private long _rejected;
    private string? _lastRejection;
    private int _stopped;
    // In its own object: the pump writes it after every batch, and producers must not share a cache line with that write.
    private readonly FoldedCell _folded = new();

    /// <summary>Creates a recorder with its own ring (the hosting extensions create the one a host uses).</summary>
    /// <param name="capacity">Total ring slots (the reference crate's default is 10,000).</param>
    /// <param name="shards">Ring shards; 0 picks one per core (at most 8).</param>
    internal UsageRecorder(int capacity = 10_000, int shards = 0)
    {
        _buffer = new IngressBuffer(capacity, shards);
        _signal = new PumpSignal(_buffer);
    }

    /// <summary>Total ring slots.</summary>
    public int Capacity => _buffer.Capacity;

    /// <summary>Events accepted into the ring so far. O(1) in the shard count, no actor involved.</summary>
    public long AcceptedCount => _buffer.Accepted;

    /// <summary>Events dropped because the ring was full.</summary>
    public long DroppedCount => _buffer.Dropped;

    /// <summary>Record calls refused for invalid input, or made after the analytics stopped.</summary>
    public long RejectedCount => Volatile.Read(ref _rejected);

    /// <summary>Why the latest rejected call was refused, or null.</summary>
    public string? LastRejection => Volatile.Read(ref _lastRejection);

    /// <summary>Events in the ring not yet drained by the pump (the crate's <c>len()</c>).</summary>
    public long PendingCount => _buffer.Pending;

    /// <summary>True when nothing waits in the ring.</summary>
    public bool IsEmpty => PendingCount == 0;

    /// <summary>
    /// True once the analytics shut down (the host stopped): from then on every record call is refused and counted in
    /// <see cref="RejectedCount"/>, because no pump would ever drain it.
    /// </summary>
    public bool IsStopped => Volatile.Read(ref _stopped) != 0;

    /// <summary>
    /// Totals of everything the pump has folded so far, published after each drained batch: an O(1) read with no
    /// actor. It lags <see cref="AcceptedCount"/> by <see cref="PendingCount"/>; for read-your-writes use
    /// <see cref="IUsageStats"/> instead.
    /// </summary>
    public UsageRow FoldedTotals => Volatile.Read(ref _folded.Value).Totals;

    /// <summary>Events the pump has drained and folded so far.</summary>
    public long FoldedCount => Volatile.Read(ref _folded.Value).Count;

    internal IngressBuffer Buffer => _buffer;

    internal PumpSignal Signal => _signal;

    internal TapRegistry<EventTap> Taps => _taps;

    /// <summary>The meters fed by the pump, one small record per request in per-batch buffers (see <see cref="MeterFeed"/>).</summary>
    internal TapRegistry<MeterFeed> MeterFeeds => _meterFeeds;

    // ---------------------------------------------------------------- completed

    /// <summary>Records a completed request priced from the catalog, provider inferred from the model (the crate's <c>record_llm_completed</c>).</summary>
    /// <param name="model">Model name, for example <c>gpt-4o</c>.</param>
    /// <param name="inputTokens">Prompt tokens.</param>
    /// <param name="outputTokens">Completion tokens.</param>
    /// <param name="attribution">Agent, provider and provider id; all optional.</param>
    /// <returns>True when accepted; false when dropped (ring full) or rejected (invalid input, stopped).</returns>
    public bool RecordCompleted(string model, long inputTokens, long outputTokens, in RequestAttribution attribution = default)
        => WriteCompleted(Mode.Record, model, new TokenUsage(inputTokens, outputTokens), attribution, default, null, default);

    /// <summary>Records a completed request with its full token breakdown.</summary>
    /// <param name="model">Model name.</param>
    /// <param name="usage">Token counts (cache counts inside input, reasoning inside output).</param>
    /// <param name="attribution">Agent, provider (null infers it) and provider id.</param>
    /// <param name="timing">Duration and time to first token, when measured.</param>
    /// <param name="costMicros">Cost in microdollars; null prices it from the catalog. A supplied cost wins.</param>
    /// <returns>True when accepted; false when dropped or rejected.</returns>
    public bool RecordCompleted(string model, in TokenUsage usage, in RequestAttribution attribution = default, in RequestTiming timing = default,
        long? costMicros = null)
        => WriteCompleted(Mode.Record, model, usage, attribution, timing, costMicros, default);

    /// <summary>Records a completed request with an explicit provider, no inference (the crate's <c>..._with_provider</c>).</summary>
    /// <param name="provider">Provider name; normalised to lowercase by the pump.</param>
    /// <param name="model">Model name.</param>
    /// <param name="usage">Token counts.</param>
    /// <param name="attribution">Agent and provider id (its provider is replaced by <paramref name="provider"/>).</param>
    /// <returns>True when accepted.</returns>
    public bool RecordCompletedWithProvider(string provider, string model, in TokenUsage usage, in RequestAttribution attribution = default)
        => WriteCompleted(Mode.Record, model, usage, attribution with { Provider = provider }, default, null, default);

    /// <summary>Records a completed request whose cost the caller already knows (it wins over the catalog).</summary>
    /// <param name="model">Model name.</param>
    /// <param name="usage">Token counts.</param>
    /// <param name="costMicros">Cost in microdollars, >= 0.</param>
    /// <param name="attribution">Agent, provider and provider id.</param>
    /// <returns>True when accepted.</returns>
    public bool RecordCompletedWithCost(string model, in TokenUsage usage, long costMicros, in RequestAttribution attribution = default)
        => WriteCompleted(Mode.Record, model, usage, attribution, default, costMicros, default);

    /// <summary>
    /// Like <see cref="RecordCompleted(string, in TokenUsage, in RequestAttribution, in RequestTiming, long?)"/> but returns
    /// false when the ring is full without counting a drop, so the caller can wait and retry.
    /// </summary>
    /// <param name="model">Model name.</param>
    /// <param name="usage">Token counts.</param>
    /// <param name="attribution">Agent, provider and provider id.</param>
    /// <param name="timing">Duration and time to first token.</param>
    /// <param name="costMicros">Cost; null prices it.</param>
    /// <param name="identity">An id and timestamp to keep (a replayed log); default assigns them when drained.</param>
    /// <returns>True when accepted, false when the ring is full.</returns>
    /// <exception cref="ArgumentException">The input is invalid; the message names the field.</exception>
    /// <exception cref="InvalidOperationException">The analytics have stopped.</exception>
    public bool TryRecordCompleted(string model, in TokenUsage usage, in RequestAttribution attribution = default, in RequestTiming timing = default,
        long? costMicros = null, in EventIdentity identity = default)
        => WriteCompleted(Mode.Try, model, usage, attribution, timing, costMicros, identity);

    // ---------------------------------------------------------------- failed

    /// <summary>Records a failed request; it counts as a request of its model, provider and agent.</summary>
    /// <param name="model">Model name.</param>
    /// <param name="attribution">Agent, provider (null infers it) and provider id.</param>
    /// <param name="failure">Error code and message.</param>
    /// <param name="timing">Time until the failure, when measured.</param>
    /// <returns>True when accepted; false when dropped or rejected.</returns>
    public bool RecordFailed(string model, in RequestAttribution attribution = default, in RequestFailure failure = default, in RequestTiming timing = default)
        => WriteFailed(Mode.Record, model, attribution, failure, timing, default);

    /// <summary>Like <see cref="RecordFailed"/> but returns false when full without counting a drop.</summary>
    /// <param name="model">Model name.</param>
    /// <param name="attribution">Agent, provider and provider id.</param>
    /// <param name="failure">Error code and message.</param>
    /// <param name="timing">Time until the failure.</param>
    /// <param name="identity">An id and timestamp to keep; default assigns them.</param>
    /// <returns>True when accepted, false when the ring is full.</returns>
    /// <exception cref="ArgumentException">The input is invalid.</exception>
    /// <exception cref="InvalidOperationException">The analytics have stopped.</exception>
    public bool TryRecordFailed(string model, in RequestAttribution attribution = default, in RequestFailure failure = default,
        in RequestTiming timing = default, in EventIdentity identity = default)
        => WriteFailed(Mode.Try, model, attribution, failure, timing, identity);

    // ---------------------------------------------------------------- lifecycle and pre-built

    /// <summary>Records that a budget crossed a threshold.</summary>
    /// <param name="thresholdPercent">Threshold in percent.</param>
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
    /// Records that the router stopped. The pump fills in the final totals, and they include every event whose record
    /// call returned before this one was made.
    /// </summary>
    /// <returns>True when accepted.</returns>
    public bool RecordRouterStopped() => WriteWhole(Mode.Record, SlotWriter.RouterStopped(), null);

    /// <summary>
    /// Records a pre-built event as it is (its cost and provider are taken as given). An event without an id or
    /// timestamp gets them from the pump.
    /// </summary>
    /// <param name="analyticsEvent">The event.</param>
    /// <returns>True when accepted; false when dropped or rejected.</returns>
    public bool Record(AnalyticsEvent analyticsEvent) => WritePrebuilt(Mode.Record, analyticsEvent);

    /// <summary>Like <see cref="Record(AnalyticsEvent)"/> but returns false when full without counting a drop.</summary>
    /// <param name="analyticsEvent">The event.</param>
    /// <returns>True when accepted, false when the ring is full.</returns>
    /// <exception cref="ArgumentException">The event is invalid.</exception>
    /// <exception cref="InvalidOperationException">The analytics have stopped.</exception>
    public bool TryRecord(AnalyticsEvent analyticsEvent) => WritePrebuilt(Mode.Try, analyticsEvent);

    // ---------------------------------------------------------------- streaming

    /// <summary>
    /// Subscribes to a copy of every event from now on (the crate's <c>with_streaming</c>). The channel is bounded; a
    /// slow reader loses copies, counted on the subscription, and never slows the recorder.
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
        _taps.Add(tap);
        return new EventSubscription(_taps, tap, channel.Reader);
    }

    // ---------------------------------------------------------------- pump side

    /// <summary>Pump only: publishes the folded totals after a drained batch.</summary>
    internal void PublishFolded(UsageRow totals, long count) => Volatile.Write(ref _folded.Value, new FoldedSnapshot(totals, count));

    /// <summary>
    /// The analytics are shutting down: refuse every record call from now on. The pump calls this right before its
    /// final drain, so everything accepted before it is drained.
    /// </summary>
    internal void MarkStopped() => Volatile.Write(ref _stopped, 1);

    // ---------------------------------------------------------------- the write paths (one per event shape)

    private enum Mode
    {
        /// <summary>Full ring: count a drop. Invalid: count a rejection. Returns false for both.</summary>
        Record,

        /// <summary>Full ring: return false, count nothing (the caller retries). Invalid or stopped: throw.</summary>
        Try,
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool WriteCompleted(Mode mode, string model, in TokenUsage usage, in RequestAttribution attribution, in RequestTiming timing,
        long? costMicros, in EventIdentity identity)
    {
        if (!RecordValidator.QuickCompleted(model, usage, costMicros, timing, attribution, identity))
            return Refuse(mode, RecordValidator.Completed(model, usage, costMicros, timing) ?? RecordValidator.Attribution(attribution) ?? RecordValidator.Identity(identity)!);
        if (IsStopped) return Refuse(mode, StoppedProblem);
        var shard = _buffer.TryClaim(out var index);
        if (shard is null) return Full(mode);
        SlotWriter.Completed(ref shard.Slot(index), model, usage, attribution, timing, costMicros, identity);
        shard.Publish(index);
        if ((index & WakeCheckMask) == 0 && _signal.IsIdle) WakeIfFilling(shard);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool WriteFailed(Mode mode, string model, in RequestAttribution attribution, in RequestFailure failure, in RequestTiming timing,
        in EventIdentity identity)
    {
        if (!RecordValidator.QuickFailed(model, timing, attribution, failure, identity))
            return Refuse(mode, RecordValidator.Failed(model, timing, failure) ?? RecordValidator.Attribution(attribution) ?? RecordValidator.Identity(identity)!);
        if (IsStopped) return Refuse(mode, StoppedProblem);
        var shard = _buffer.TryClaim(out var index);
        if (shard is null) return Full(mode);
        SlotWriter.Failed(ref shard.Slot(index), model, attribution, failure, timing, identity);
        shard.Publish(index);
        if ((index & WakeCheckMask) == 0 && _signal.IsIdle) WakeIfFilling(shard);
        return true;
    }

    /// <summary>
    /// The pump sleeps (it is polled): wake it only when this shard has filled past the wake mark, so a write pays for a
    /// wake-up only in a burst faster than the poll. Reading the shard's head and tail here costs nothing the pump is
    /// not doing anyway, since it is asleep.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WakeIfFilling(IngressShard shard)
    {
        if (shard.IsFilling()) _signal.Wake();
    }

    private bool WritePrebuilt(Mode mode, AnalyticsEvent analyticsEvent)
    {
        var problem = RecordValidator.Prebuilt(analyticsEvent);
        return problem is not null ? Refuse(mode, problem) : WriteWhole(mode, SlotWriter.Prebuilt(analyticsEvent), null);
    }

    /// <summary>For the rarer events built whole (lifecycle, pre-built); the LLM calls fill their slot in place.</summary>
    private bool WriteWhole(Mode mode, in IngressRecord record, string? problem)
    {
        if (problem is not null) return Refuse(mode, problem);
        if (IsStopped) return Refuse(mode, StoppedProblem);
        return _buffer.TryWrite(record) || Full(mode);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool Full(Mode mode)
    {
        if (mode == Mode.Record)
        {
            _buffer.CountDrop();
            return false;
        }
        // A waiting producer must make sure the pump is running, or it would wait forever.
        _signal.WakeIfIdle();
        return false;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool Refuse(Mode mode, string problem)
    {
        if (mode == Mode.Record)
        {
            Interlocked.Increment(ref _rejected);
            Volatile.Write(ref _lastRejection, problem);
            return false;
        }
        // A TryRecord caller handles the refusal itself (a replay counts the line as skipped), so nothing is counted here.
        if (ReferenceEquals(problem, StoppedProblem)) throw new InvalidOperationException($"Usage analytics refused the event: {problem}.");
        throw new ArgumentException(problem);
    }

    private sealed record FoldedSnapshot(UsageRow Totals, long Count)
    {
        public static readonly FoldedSnapshot Empty = new(UsageRow.Empty, 0);
    }

    private sealed class FoldedCell
    {
        public FoldedSnapshot Value = FoldedSnapshot.Empty;
    }
}
