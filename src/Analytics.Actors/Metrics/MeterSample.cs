using Analytics.Actors.Pump;
using Analytics.Contracts;

namespace Analytics.Actors.Metrics;

/// <summary>
/// What the meter measures of one completed or failed request, as the pump writes it into a <see cref="MeterBatch"/>:
/// references to the strings the request already holds, its counts, cost and latencies. No id, no timestamp, no object
/// per request: the meter needs none of them.
/// </summary>
internal struct MeterSample
{
    /// <summary>The model as recorded.</summary>
    public string Model;

    /// <summary>The canonical provider.</summary>
    public string Provider;

    /// <summary>The agent, or null.</summary>
    public string? Agent;

    /// <summary>A failed request's error code, or null.</summary>
    public string? ErrorCode;

    /// <summary>True for a failed request.</summary>
    public bool Failed;

    /// <summary>True when a completed request's model had no price.</summary>
    public bool Unpriced;

    /// <summary>Prompt tokens.</summary>
    public long InputTokens;

    /// <summary>Completion tokens.</summary>
    public long OutputTokens;

    /// <summary>Prompt tokens read from the cache.</summary>
    public long CacheReadTokens;

    /// <summary>Prompt tokens written to the cache.</summary>
    public long CacheWriteTokens;

    /// <summary>Reasoning tokens.</summary>
    public long ReasoningTokens;

    /// <summary>Cost in microdollars.</summary>
    public long CostMicros;

    /// <summary>Wall time in milliseconds, or -1 when not measured.</summary>
    public long DurationMs;

    /// <summary>Time to first token in milliseconds, or -1 when not measured.</summary>
    public long TimeToFirstTokenMs;

    /// <summary>
    /// The request's timestamp as its event carries it (as recorded, else the drain time), when a feed asked for
    /// timestamps (<see cref="MeterFeed.WantsTimestamps"/>: the budgets' feed); 0 otherwise, which spares the meter a
    /// clock read per request.
    /// </summary>
    public long TimestampMs;

    /// <summary>The sample of a materialised event (for callers that have one), or null for other kinds of event.</summary>
    public static MeterSample? Of(AnalyticsEvent e) => e switch
    {
        LlmRequestCompleted c => new MeterSample
        {
            Model = c.Model, Provider = c.Provider, Agent = c.AgentId, InputTokens = c.InputTokens, OutputTokens = c.OutputTokens,
            CacheReadTokens = c.CacheReadInputTokens, CacheWriteTokens = c.CacheCreationInputTokens, ReasoningTokens = c.ReasoningTokens,
            CostMicros = c.CostMicros, Unpriced = c.Unpriced, DurationMs = c.DurationMs ?? -1, TimeToFirstTokenMs = c.TimeToFirstTokenMs ?? -1,
            TimestampMs = c.TimestampMs,
        },
        LlmRequestFailed f => new MeterSample
        {
            Model = f.Model, Provider = f.Provider, Agent = f.AgentId, Failed = true, ErrorCode = f.ErrorCode, DurationMs = f.DurationMs ?? -1,
            TimeToFirstTokenMs = -1, TimestampMs = f.TimestampMs,
        },
        _ => null,
    };
}

/// <summary>
/// The meter samples of one drained batch: filled by the pump, handed read-only to every <see cref="MeterFeed"/>, given
/// back to the pump's pool by the last one to finish with it.
/// </summary>
internal sealed class MeterBatch : HandedOverBatch<MeterBatch>
{
    /// <summary>
    /// Samples a batch holds at most: 512 samples are about 48 KB, below the large object heap. A drain that measures
    /// more hands the batch over and starts another.
    /// </summary>
    public const int Capacity = 512;

    private readonly MeterSample[] _samples = new MeterSample[Capacity];
    private int _count;

    private MeterBatch(BatchPool<MeterBatch> pool) : base(pool)
    {
    }

    /// <summary>A pool of meter batches.</summary>
    public static BatchPool<MeterBatch> NewPool(int retain) => new(pool => new MeterBatch(pool), retain);

    /// <summary>The samples.</summary>
    public ReadOnlySpan<MeterSample> Samples => _samples.AsSpan(0, _count);

    /// <summary>How many samples it holds.</summary>
    public int Count => _count;

    /// <summary>True when no more fit.</summary>
    public bool Full => _count == Capacity;

    /// <summary>Pump only, while filling: the next sample, to fill in place (every field).</summary>
    public ref MeterSample Add() => ref _samples[_count++];

    /// <inheritdoc />
    protected override void Clear()
    {
        // The strings it references are dropped with it: a pooled batch must not keep a flood of agent ids alive.
        Array.Clear(_samples, 0, _count);
        _count = 0;
    }
}
