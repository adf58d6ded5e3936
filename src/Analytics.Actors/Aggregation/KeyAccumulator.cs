using Analytics.Contracts;

namespace Analytics.Actors.Aggregation;

/// <summary>
/// The running row of one key (one model, one provider or one agent), owned by its breakdown's
/// <see cref="AggregatorActor"/>: batches are added in place, <see cref="ToRow"/> makes the immutable row a view hands out.
/// </summary>
internal sealed class KeyAccumulator(string key)
{
    private UsageCounters _counters;

    /// <summary>The model, provider or agent.</summary>
    public string Key { get; } = key;

    /// <summary>Everything added so far.</summary>
    public ref readonly UsageCounters Counters => ref _counters;

    /// <summary>True when the row changed since the aggregator's last view.</summary>
    public bool Changed { get; set; }

    /// <summary>Adds one batch's share.</summary>
    public void Add(in UsageCounters delta) => _counters.Add(in delta);

    /// <summary>The immutable row for a view.</summary>
    public UsageRow ToRow() => new(_counters);
}
