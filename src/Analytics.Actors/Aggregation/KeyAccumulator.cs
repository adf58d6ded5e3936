using Analytics.Contracts;

namespace Analytics.Actors.Aggregation;

/// <summary>
/// The running state of one key (one model, one provider or one agent), owned by the pump's <see cref="UsageFold"/>.
/// Each folded request is added in place; <see cref="ToRow"/> makes the immutable row a stats snapshot hands out.
/// </summary>
/// <remarks>
/// A class rather than a row in a dictionary so that the pump can keep a direct reference to it (a model's entry points
/// at its model row and at its provider's row), which saves a hash lookup per event and dimension. Per-key state that is
/// more than counters (a latency sketch, say) belongs here too: add it in <see cref="Add"/>, read it in
/// <see cref="ToRow"/>.
/// </remarks>
internal sealed class KeyAccumulator(string key)
{
    private UsageCounters _counters;

    /// <summary>The model, provider or agent.</summary>
    public string Key { get; } = key;

    /// <summary>Everything added so far.</summary>
    public ref readonly UsageCounters Counters => ref _counters;

    /// <summary>True when the key changed since the last snapshot; kept by <see cref="UsageFold"/>.</summary>
    internal bool Dirty { get; set; }

    /// <summary>Adds one folded request.</summary>
    public void Add(in FoldedRequest request) => _counters.Add(in request.Counters);

    /// <summary>The immutable row for a snapshot.</summary>
    public UsageRow ToRow() => new(_counters);
}

/// <summary>
/// One request as the fold adds it: its counters, plus the raw values per-key state beyond counters may need. Fields,
/// not properties, and always passed by reference: a property of a struct this size would copy 104 bytes per read, and
/// the fold reads it four times per event.
/// </summary>
internal readonly ref struct FoldedRequest(ref readonly UsageCounters counters, long? durationMs, long? timeToFirstTokenMs)
{
    /// <summary>The request's counters (one request, its tokens, cost, durations).</summary>
    public readonly ref readonly UsageCounters Counters = ref counters;

    /// <summary>Its wall time, if measured.</summary>
    public readonly long? DurationMs = durationMs;

    /// <summary>Its time to first token, if measured.</summary>
    public readonly long? TimeToFirstTokenMs = timeToFirstTokenMs;
}
