using Analytics.Contracts;

namespace Analytics.Actors.Aggregation;

/// <summary>
/// A key (one model, provider or agent) as the pump sees it: its name, its id in its breakdown's
/// <see cref="AggregatorActor"/>, and its share of the batch being drained. The rows themselves live in the aggregator;
/// this holds only what the pump adds up between two hand-overs. Pump only.
/// </summary>
/// <remarks>
/// A class so that the pump can keep direct references to it (a model's entry points at its model key and at its
/// provider's key): one lookup of the model string finds both, and folding a request into them costs no hash lookup.
/// </remarks>
internal sealed class BatchKey(string key, int id)
{
    /// <summary>This batch's sum for the key; reset when the batch is handed to the aggregator.</summary>
    public UsageCounters Delta;

    /// <summary>The model, provider or agent.</summary>
    public string Key { get; } = key;

    /// <summary>Dense per breakdown (0, 1, 2, ... in creation order), so the aggregator finds the key's row by index.</summary>
    public int Id { get; } = id;

    /// <summary>True while <see cref="Delta"/> holds something not yet handed over.</summary>
    public bool InBatch { get; set; }
}
